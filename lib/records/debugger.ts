/**
 * Twilio's debugger webhook (POST /api/twilio/debugger, signed like every Twilio request): the
 * Console Debugger's events (11200 HTTP retrieval failure, 11205, 12100 document parse failure,
 * 13224…) posted as they happen. Each is logged as an error, which the "Twilio reports errors"
 * alert counts (infra/modules/alerts.bicep), and recorded as an event of its call or message.
 *
 * Fields (Twilio's "Debugging Events Webhook"): Sid, AccountSid, ParentAccountSid, Timestamp,
 * Level (Error or Warning), PayloadType (application/json) and Payload: resource_sid,
 * service_sid, error_code, more_info, and webhook { request { url, method, parameters },
 * response { status_code, body } } when a webhook failed.
 */
import type { HttpHandler } from '@azure/functions';
import * as z from 'zod';
import { BadRequestError } from '../errors';
import { describeInvocation, logProperties } from '../http/handle';
import { field, zodProblems, type FormParams } from '../http/requests';
import { twilioWebhook } from '../twilio/webhook';
import type { Observation } from './model';
import { saveObservation } from './store';

/** What the log line of a debugger event starts with: the alert's query looks for it. */
export const DEBUGGER_LOG_PREFIX = 'Twilio reported error';

const payloadSchema = z.looseObject({
  resource_sid: z.string().optional(),
  error_code: z.union([z.string(), z.number()]).optional(),
  more_info: z.record(z.string(), z.unknown()).optional(),
  webhook: z
    .looseObject({
      request: z
        .looseObject({ url: z.string().optional(), parameters: z.record(z.string(), z.unknown()).optional() })
        .optional(),
      response: z.looseObject({ status_code: z.union([z.string(), z.number()]).optional() }).optional(),
    })
    .optional(),
});

const eventSchema = z.object({
  Sid: z.string().min(1, 'is required'),
  Level: z.string().default('Error'),
  Timestamp: z.string().optional(),
  Payload: z.string().transform((text, ctx) => {
    try {
      return payloadSchema.parse(JSON.parse(text));
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be the JSON object Twilio sends' });
      return z.NEVER;
    }
  }),
});
export type DebuggerEvent = z.output<typeof eventSchema>;

export function parseDebuggerEvent(params: FormParams): DebuggerEvent {
  const single = Object.fromEntries(Object.keys(params).map((name) => [name, field(params, name)]));
  const result = eventSchema.safeParse(single);
  if (!result.success) throw new BadRequestError(400, 'Invalid Twilio debugger event', zodProblems(result.error));
  return result.data;
}

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

/** The event as an observation of the call or message it is about; undefined when it is about neither. */
export function debuggerObservation(event: DebuggerEvent): Observation | undefined {
  const sid = event.Payload.resource_sid ?? '';
  const kind = /^CA[0-9a-f]{32}$/i.test(sid) ? 'call' : /^(SM|MM)[0-9a-f]{32}$/i.test(sid) ? 'message' : undefined;
  if (!kind) return undefined;
  const request = event.Payload.webhook?.request?.parameters ?? {};
  const code = Number(event.Payload.error_code);
  return {
    kind,
    sid,
    direction: text(request.Direction)?.startsWith('outbound') ? 'outbound' : 'inbound',
    from: text(request.From),
    to: text(request.To),
    status: 'twilio-error',
    source: 'debugger',
    eventKey: `debugger|${event.Sid}`,
    ...(Number.isInteger(code) ? { errorCode: code } : {}),
    twilioTimestamp: event.Timestamp,
    twilioError: twilioErrorText(event),
  };
}

/** What Twilio said, in a line: the message it gives, else the URL that failed and what it answered. */
function twilioErrorText({ Payload: payload }: DebuggerEvent): string {
  const message = text(payload.more_info?.Msg) ?? text(payload.more_info?.msg);
  const url = payload.webhook?.request?.url;
  const status = payload.webhook?.response?.status_code;
  return [message, url && `${url}${status !== undefined ? ` answered ${String(status)}` : ''}`]
    .filter(Boolean)
    .join('; ');
}

/** POST /api/twilio/debugger: logs the event as an error, records it on its call or message, answers 204. */
export const debuggerWebhook: HttpHandler = twilioWebhook(async (params, context, settings) => {
  const event = parseDebuggerEvent(params);
  const observation = debuggerObservation(event);
  describeInvocation(context, {
    ...(observation?.kind === 'call' ? { callSid: observation.sid } : {}),
    ...(observation?.kind === 'message' ? { messageSid: observation.sid } : {}),
    resourceSid: event.Payload.resource_sid,
  });
  const code = event.Payload.error_code ?? '-';
  const line = `${DEBUGGER_LOG_PREFIX} ${String(code)} (${event.Level}): ${observation?.twilioError ?? twilioErrorText(event)}`;
  context.error(`${line} ${logProperties(context, { twilioErrorCode: String(code), debuggerEventSid: event.Sid })}`);
  if (observation) await saveObservation(settings, observation);
  return { status: 204 };
});
