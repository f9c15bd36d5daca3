/**
 * The bodies of POST /api/campaigns and POST /api/campaigns/{id}/recipients. Every problem is
 * named by field, a recipient's by its index (`recipients.12.to`), and nothing is stored
 * unless the whole body is valid.
 */
import * as z from 'zod';
import { hours } from '../flows/schema';
import { phoneNumber } from '../twilio/ids';

/** At most this many recipients per request; more are added with POST /api/campaigns/{id}/recipients. */
export const MAX_RECIPIENTS_PER_REQUEST = 10_000;
/** A request of 10,000 recipients with a few variables each fits. */
export const MAX_CAMPAIGN_BODY_BYTES = 4 * 1024 * 1024;
/** A US long code sends one segment per second; Twilio's default calls per second (CPS) is 1. */
export const DEFAULT_RATE = { textsPerSecond: 1, callsPerSecond: 1 };

const variableName = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** `{{ variables.name }}` in a text: replaced by the recipient's variable. */
const PLACEHOLDER = /\{\{\s*variables\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

export const recipient = z.strictObject({
  to: phoneNumber,
  variables: z
    .record(
      z.string().regex(variableName, 'must be a variable name: letters, digits and _'),
      z.union([z.string().max(1600), z.number(), z.boolean()], { error: 'must be a string, number or boolean' }),
    )
    .default({}),
});
export type Recipient = z.output<typeof recipient>;

const recipients = z
  .array(recipient, { error: 'must be a list of { to, variables }' })
  .min(1, 'must name at least one recipient')
  .max(MAX_RECIPIENTS_PER_REQUEST, `must name at most ${MAX_RECIPIENTS_PER_REQUEST} recipients per request`);

const perSecond = (what: string) =>
  z
    .number({ error: `must be a number of ${what} per second` })
    .positive(`must be a number of ${what} per second above 0`)
    .max(1000, `must be at most 1000 ${what} per second`);

export const campaignRequest = z
  .strictObject({
    name: z.string({ error: 'is required: a name for the campaign' }).trim().min(1, 'must not be empty').max(200),
    text: z
      .strictObject(
        {
          body: z
            .string({ error: 'is required: the text, with {{ variables.name }} for each recipient’s values' })
            .min(1, 'must not be empty')
            .max(1600, 'must be at most 1600 characters'),
        },
        { error: 'must be { "body": "Hi {{ variables.name }}" }' },
      )
      .optional(),
    call: z
      .strictObject(
        {
          step: z.string().min(1, 'must name a step of the flow').max(100, 'must be at most 100 characters').optional(),
        },
        { error: 'must be { "step": "<a step of the voice flow>" } or {} for the entry step' },
      )
      .optional(),
    from: phoneNumber.optional(),
    messagingServiceSid: z
      .string()
      .regex(/^MG[0-9a-fA-F]{32}$/, 'must be a Messaging Service SID (MG followed by 32 hex digits)')
      .optional(),
    startAt: z.iso.datetime({ offset: true, error: 'must be a date and time like 2026-12-01T09:00:00Z' }).optional(),
    rate: z
      .strictObject({
        textsPerSecond: perSecond('texts').default(DEFAULT_RATE.textsPerSecond),
        callsPerSecond: perSecond('calls').default(DEFAULT_RATE.callsPerSecond),
      })
      .default(DEFAULT_RATE),
    window: hours.optional(),
    recipients,
  })
  .refine((body) => !(body.from && body.messagingServiceSid), {
    message: 'give from or messagingServiceSid, not both',
    path: ['messagingServiceSid'],
  })
  .refine((body) => (body.text === undefined) !== (body.call === undefined), {
    message: 'is required: give text (a text campaign) or call (a call campaign), not both',
    path: ['text'],
  })
  .refine((body) => !(body.call && body.messagingServiceSid), {
    message: 'is for texts: a call campaign calls from `from` (or TWILIO_PHONE_NUMBER)',
    path: ['messagingServiceSid'],
  })
  .superRefine((body, ctx) => body.text && checkVariables(body.text.body, body.recipients, ctx));
export type CampaignRequest = z.output<typeof campaignRequest>;

export const recipientsRequest = z.strictObject({ recipients });

/** The variables a text uses. */
export const variablesOf = (template: string): string[] => [
  ...new Set([...template.matchAll(PLACEHOLDER)].map((match) => match[1]!)),
];

/** Each recipient must have every variable the text uses: one problem per recipient and variable. */
export function checkVariables(template: string, list: Recipient[], ctx: z.RefinementCtx): void {
  const used = variablesOf(template);
  list.forEach((one, index) => {
    for (const name of used) {
      if (!(name in one.variables))
        ctx.addIssue({
          code: 'custom',
          path: ['recipients', index, 'variables', name],
          message: `is used by the text ({{ variables.${name} }}) and missing`,
        });
    }
  });
}

/** The text for one recipient: each placeholder replaced by its variable. */
export const render = (template: string, variables: Recipient['variables']): string =>
  template.replace(PLACEHOLDER, (_, name: string) => String(variables[name] ?? ''));
