/**
 * The messaging flow as TwiML: the blocklist (no reply), the carriers' keywords (never
 * answered), then the first rule that matches (reply, media, forwards), else the default reply.
 * Forwards are not TwiML: the webhook puts them on the outbound queue.
 */
import MessagingResponse from 'twilio/lib/twiml/MessagingResponse';
import type { Settings } from '../config/settings';
import { field, type FormParams } from '../http/requests';
import { xmlSafe } from '../twilio/twiml';
import { isOpen } from './hours';
import { compilePattern } from './pattern';
import { carrierKeyword, normalizedKeyword } from './keywords';
import { DEFAULT_FLOWS, type FlowFile, type MessagingRule } from './schema';
import { fill, MAX_SMS_LENGTH, requestVariables } from './text';
import { isBlocked } from './voice';

export interface MessageAnswer {
  twiml: string;
  /** Which rule decided, for the record: `keyword HOURS`, `blocked`, `carrier keyword STOP`, `default`. */
  rule: string;
  /** Texts to others (a rule's forwards): sent through the outbound queue, never in the TwiML, so none is lost. */
  forwards: Array<{ to: string; body: string }>;
  /** Whether the TwiML replies to the sender (a text to check against the opt-out list). */
  replies: boolean;
}

function matches(rule: MessagingRule, body: string): boolean {
  const words = (value: string | string[]) => [value].flat().map(normalizedKeyword);
  if (rule.keyword !== undefined) return words(rule.keyword).includes(normalizedKeyword(body));
  if (rule.startsWith !== undefined) {
    const said = normalizedKeyword(body);
    return words(rule.startsWith).some((word) => said === word || said.startsWith(`${word} `));
  }
  if (rule.pattern !== undefined) {
    return compilePattern(rule.pattern).test(body);
  }
  return true;
}

const ruleName = (rule: MessagingRule, index: number): string =>
  rule.description ??
  (rule.keyword !== undefined
    ? `keyword ${[rule.keyword].flat()[0]}`
    : rule.startsWith !== undefined
      ? `starts with ${[rule.startsWith].flat()[0]}`
      : rule.pattern !== undefined
        ? `pattern ${rule.pattern}`
        : `rule ${index + 1}`);

export function answerMessage(
  flows: FlowFile,
  params: FormParams,
  settings: Settings,
  now = new Date(),
): MessageAnswer {
  const messaging = flows.messaging ?? DEFAULT_FLOWS.messaging!;
  const response = new MessagingResponse();
  const forwards: MessageAnswer['forwards'] = [];
  let replies = false;
  const answer = (rule: string): MessageAnswer => ({ twiml: response.toString(), rule, forwards, replies });
  const body = field(params, 'Body') ?? '';
  if (isBlocked(flows, field(params, 'From'))) return answer('blocked');
  const carrier = carrierKeyword(body);
  if (carrier) return answer(`${carrier.kind} keyword ${carrier.keyword}: left to the carrier and Twilio`);

  const variables = requestVariables(params, settings);
  const text = (template: string) => xmlSafe(fill(template, variables)).slice(0, MAX_SMS_LENGTH);
  const open = flows.hours ? isOpen(flows.hours, now) : true;
  const index = messaging.rules.findIndex(
    (rule) => (rule.hours === undefined || (rule.hours === 'open') === open) && matches(rule, body),
  );
  const rule = messaging.rules[index];
  if (!rule) {
    if (messaging.reply) response.message(text(messaging.reply));
    replies = !!messaging.reply;
    return answer('default');
  }
  for (const to of rule.forward === undefined ? [] : [rule.forward].flat())
    forwards.push({ to, body: text(rule.forwardText) });
  if (rule.reply !== undefined || rule.media) {
    replies = true;
    const message = response.message({}, '');
    if (rule.reply !== undefined) message.body(text(rule.reply));
    for (const url of rule.media ?? []) message.media(url);
  }
  return answer(ruleName(rule, index));
}
