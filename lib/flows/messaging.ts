/**
 * The messaging flow as TwiML: the blocklist (no reply), the carriers' keywords (never
 * answered), then the first rule that matches (reply, media, forwards), else the default reply.
 * Forwards are not TwiML: the webhook puts them on the outbound queue.
 */
import type { InvocationContext } from '@azure/functions';
import MessagingResponse from 'twilio/lib/twiml/MessagingResponse';
import type { Settings } from '../config/settings';
import { field, type FormParams } from '../http/requests';
import { xmlSafe } from '../twilio/twiml';
import { isOpen } from './hours';
import { compilePattern } from './pattern';
import { carrierKeyword, normalizedKeyword } from './keywords';
import { DEFAULT_FLOWS, type FlowFile, type MessagingRule } from './schema';
import { MAX_SMS_LENGTH } from './text';
import { own } from '../http/own';
import { emptyFlowState } from '../records/flowState';
import type { ActionEffect } from './actions/action';
import { actionOf, type VoiceAction } from './actions';
import { effectLine, runLogic, type LogicContext } from './logic';
import { templateScope, triggerFields } from './scope';
import { render } from './template';
import { isBlocked } from './voice';

export interface MessageAnswer {
  twiml: string;
  /** Which rule decided, for the record: `keyword HOURS`, `blocked`, `carrier keyword STOP`, `default`. */
  rule: string;
  /** Texts to others (a rule's forwards): sent through the outbound queue, never in the TwiML, so none is lost. */
  forwards: Array<{ to: string; body: string }>;
  /** Whether the TwiML replies to the sender (a text to check against the opt-out list). */
  replies: boolean;
  /** What the rule's logic actions did, for the record. */
  effects?: string[];
  /** The step of messaging.steps a conversation with the sender starts at (the rule's `start`). */
  start?: string;
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

export interface MessageTurn {
  context?: Pick<InvocationContext, 'warn' | 'error'>;
  started?: number;
}

/** The reply and what the rule's actions did; an action's step names one of messaging.replies. */
export async function answerMessage(
  flows: FlowFile,
  params: FormParams,
  settings: Settings,
  now = new Date(),
  turn: MessageTurn = {},
): Promise<MessageAnswer> {
  const messaging = flows.messaging ?? DEFAULT_FLOWS.messaging!;
  const response = new MessagingResponse();
  const forwards: MessageAnswer['forwards'] = [];
  let replies = false;
  const effects: ActionEffect[] = [];
  const answer = (rule: string): MessageAnswer => ({
    twiml: response.toString(),
    rule,
    forwards,
    replies,
    ...(effects.length ? { effects: effects.map(effectLine) } : {}),
  });
  const body = field(params, 'Body') ?? '';
  if (isBlocked(flows, field(params, 'From'))) return answer('blocked');
  const carrier = carrierKeyword(body);
  if (carrier) return answer(`${carrier.kind} keyword ${carrier.keyword}: left to the carrier and Twilio`);

  const state = emptyFlowState();
  const trigger = triggerFields(params);
  const scope = templateScope('message', trigger, settings, state);
  const text = (template: string) => xmlSafe(render(template, scope)).slice(0, MAX_SMS_LENGTH);
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
  const logic: LogicContext = {
    state,
    scope,
    trigger,
    effects,
    started: turn.started ?? performance.now(),
    onError: undefined,
    hasStep: (name) => Object.hasOwn(messaging.replies, name),
    context: turn.context,
    where: `rule ${index + 1}`,
  };
  let chosen: string | undefined;
  for (const [at, action] of (rule.actions ?? []).entries()) {
    const { kind, module, value } = actionOf(action as VoiceAction);
    chosen = await runLogic(logic, kind, module, value, at);
    if (chosen !== undefined) break;
  }
  for (const to of rule.forward === undefined ? [] : [rule.forward].flat())
    forwards.push({ to, body: text(rule.forwardText) });
  const reply = chosen !== undefined ? own(messaging.replies, chosen) : rule;
  if (reply && (reply.reply !== undefined || reply.media)) {
    replies = true;
    const message = response.message({}, '');
    if (reply.reply !== undefined) message.body(text(reply.reply));
    for (const url of reply.media ?? []) message.media(url);
  }
  return {
    ...answer(`${ruleName(rule, index)}${chosen !== undefined ? ` → ${chosen}` : ''}`),
    ...(rule.start !== undefined ? { start: rule.start } : {}),
  };
}
