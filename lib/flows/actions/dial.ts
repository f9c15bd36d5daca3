/**
 * `dial`: connect the caller. A list rings all at once, or (sequential) one after another: the
 * callback rings the next leg until one answers. Each outcome may lead to a step; the person
 * who answers may hear a whisper first (the `whisper` route).
 */
import VoiceResponse from 'twilio/lib/twiml/VoiceResponse';
import * as z from 'zod';
import { field } from '../../http/requests';
import { xmlSafe } from '../../twilio/twiml';
import { e164, seconds, stepName, text } from '../fields';
import { render, type TemplateScope } from '../template';
import { defineAction, lazySchema, type ActionTwiml } from './action';

const dialTarget = lazySchema(() =>
  z.union([e164, z.string().regex(/^client:[A-Za-z0-9_.@-]{1,64}$/), z.string().regex(/^sips?:[^\s<>"]+@[^\s<>"]+$/)], {
    error: 'must be a number in E.164 (+15550100000), client:<name> or a sip: URI',
  }),
);

const OUTCOMES = ['answered', 'busy', 'noAnswer', 'failed'] as const;
export type DialOutcome = (typeof OUTCOMES)[number];

const schema = lazySchema(() =>
  z
    .strictObject({
      to: z
        .union([dialTarget(), z.array(dialTarget()).min(1).max(10)], {
          error: 'must be a number in E.164 (+15550100000), client:<name> or a sip: URI, or a list of up to 10 of them',
        })
        .meta({ description: 'Who to ring: +1555…, client:alice, sip:bob@example.com, or a list.' }),
      mode: z
        .enum(['simultaneous', 'sequential'])
        .default('simultaneous')
        .meta({ description: 'A list rings all at once, or one after another.' }),
      timeout: seconds(600).optional().meta({ description: 'Seconds to ring each; Twilio default 30.' }),
      callerId: e164.optional(),
      record: z.boolean().default(false),
      whisper: text.optional().meta({ description: 'Said to the person who answers before the caller is connected.' }),
      answered: stepName
        .optional()
        .meta({ description: 'Step after a connected call ends; default: the next actions.' }),
      busy: stepName.optional(),
      noAnswer: stepName.optional(),
      failed: stepName.optional(),
    })
    .meta({
      description:
        'Connect the caller; each outcome (answered, busy, noAnswer, failed) may go to a step, else the next actions run.',
    }),
);
export type Dial = z.output<ReturnType<typeof schema>>;

/** The targets one Dial rings: every one at once, or (sequential) the one at `leg`. */
export function ringing(dial: Dial, leg: number): string[] {
  const targets = [dial.to].flat();
  return dial.mode === 'sequential' ? [targets[leg]!] : targets;
}

/** Twilio's DialCallStatus as the flow's outcome. */
export function dialOutcome(status: string | undefined): DialOutcome {
  if (status === 'completed' || status === 'answered') return 'answered';
  if (status === 'busy') return 'busy';
  if (status === 'no-answer') return 'noAnswer';
  return 'failed';
}

/** The leg to ring after `leg` ended with `outcome`, if any: only a sequential dial nobody answered goes on. */
export function nextLeg(dial: Dial, leg: number, outcome: DialOutcome): number | undefined {
  return outcome !== 'answered' && dial.mode === 'sequential' && leg + 1 < [dial.to].flat().length
    ? leg + 1
    : undefined;
}

function writeDial(twiml: ActionTwiml, dial: Dial, leg: number): void {
  const verb = twiml.response.dial({
    action: twiml.url({ leg, turn: twiml.nextTurn }),
    method: 'POST',
    ...(dial.timeout !== undefined ? { timeout: dial.timeout } : {}),
    ...(dial.callerId ? { callerId: dial.callerId } : {}),
    ...(dial.record
      ? {
          record: 'record-from-answer',
          recordingStatusCallback: twiml.url({}, 'recording'),
          recordingStatusCallbackEvent: ['completed'],
        }
      : {}),
  });
  const whisper = dial.whisper ? { url: twiml.url({}, 'whisper'), method: 'POST' } : {};
  for (const target of ringing(dial, leg)) {
    if (target.startsWith('client:')) verb.client(whisper, target.slice('client:'.length));
    else if (target.startsWith('sip')) verb.sip(whisper, target);
    else verb.number(whisper, target);
  }
}

/** What the answering party hears before the caller is connected. */
export function whisperTwiml(
  dial: Dial | undefined,
  scope: TemplateScope,
  sayAttributes: VoiceResponse.SayAttributes = {},
): string {
  const response = new VoiceResponse();
  if (dial?.whisper) response.say(sayAttributes, xmlSafe(render(dial.whisper, scope)));
  return response.toString();
}

export const dial = defineAction({
  get schema() {
    return schema();
  },
  ends: true,
  steps: (value) => OUTCOMES.flatMap((outcome) => (value[outcome] ? [{ path: [outcome], step: value[outcome] }] : [])),
  write: (twiml, value) => writeDial(twiml, value, 0),
  callback: (call, dial) => {
    const targets = [dial.to].flat();
    const leg = call.place.leg ?? 0;
    const status = field(call.params, 'DialCallStatus') ?? 'failed';
    const outcome = dialOutcome(status);
    const dialed = dial.mode === 'sequential' ? (targets[leg] ?? targets.join(', ')) : targets.join(', ');
    const facts = { dialed, outcome: status };
    const next = nextLeg(dial, leg, outcome);
    if (next !== undefined) {
      writeDial(call, dial, next);
      return call.answer(facts);
    }
    return call.then(facts, { step: dial[outcome] });
  },
});
