/**
 * A text conversation's turn, without storage: from where it is (a start, a reply to the ask it
 * waits at, or that ask's timeout) through messaging.steps until it waits at the next ask or runs
 * out of actions (it ends). What it texts is returned with keys of this turn, for the caller to
 * queue; the caller stores the conversation. `set`, `switch`, `http` and `code` run as in a call.
 */
import type { InvocationContext } from '@azure/functions';
import type { Settings } from '../config/settings';
import type { Conversation, ConversationText, PathEntry } from '../records/conversations';
import { MAX_PATH_ENTRIES } from '../records/conversations';
import type { ActionEffect } from './actions/action';
import { actionOf, type VoiceAction } from './actions';
import { durationSeconds, type Ask } from './actions/ask';
import { effectLine, runLogic, type LogicContext } from './logic';
import type { MessagingFlow } from './schema';
import { templateScope } from './scope';
import { render } from './template';
import { MAX_SMS_LENGTH } from './text';

export type ConversationInput =
  { type: 'start'; step: string } | { type: 'reply'; body: string; messageSid: string } | { type: 'timeout' };

export interface TurnContext {
  settings: Pick<Settings, 'VOICE_GREETING' | 'SMS_REPLY'>;
  now: Date;
  /** The incoming text's fields (trigger.message), or the line and party for a start or a timeout. */
  trigger: Record<string, string>;
  context?: Pick<InvocationContext, 'warn' | 'error'> | undefined;
}

/** Steps entered in one turn before it is taken for a loop of steps that never asks. */
const MAX_STEPS_PER_TURN = 25;
/** Texts one turn may send: more is a flow mistake, not a conversation. */
const MAX_TEXTS_PER_TURN = 10;
const PATH_TEXT_LENGTH = 160;

/** A new conversation, before its first turn. */
export function newConversation(
  fields: Pick<Conversation, 'id' | 'line' | 'party' | 'origin'> & { variables?: Record<string, unknown> | undefined },
  now: Date,
): Conversation {
  return {
    id: fields.id,
    line: fields.line,
    party: fields.party,
    origin: fields.origin,
    status: 'waiting',
    turn: 0,
    state: { variables: { ...fields.variables }, widgets: {}, secret: [] },
    path: [],
    startedAt: now.toISOString(),
    updatedAt: now.toISOString(),
    lastTexts: [],
  };
}

/** The ask a waiting conversation waits at, if the flow still has it there. */
export function waitingAsk(messaging: MessagingFlow, conversation: Conversation): Ask | undefined {
  const action =
    conversation.step === undefined ? undefined : messaging.steps[conversation.step]?.actions[conversation.at ?? -1];
  return action && 'ask' in action ? (action.ask as Ask) : undefined;
}

/** The conversation after one turn: a copy, with this turn's texts in lastTexts and its path longer. */
export async function advance(
  messaging: MessagingFlow,
  before: Conversation,
  input: ConversationInput,
  turn: TurnContext,
): Promise<Conversation> {
  const conversation: Conversation = structuredClone({ ...before, turn: before.turn + 1, lastTexts: [] });
  const at = turn.now.toISOString();
  conversation.updatedAt = at;
  conversation.lastInput = input.type === 'reply' ? input.messageSid : `${input.type}|${before.turn}`;
  const note = (entry: Omit<PathEntry, 'at'>) =>
    conversation.path.push({ at, ...entry, ...(entry.text ? { text: entry.text.slice(0, PATH_TEXT_LENGTH) } : {}) });
  const end = (reason: string) => {
    Object.assign(conversation, {
      status: 'ended',
      endReason: reason,
      step: undefined,
      at: undefined,
      dueAt: undefined,
    });
    note({ event: 'ended', text: reason });
    return trimmed(conversation);
  };

  let from: { step: string; at: number } | undefined;
  if (input.type === 'start') from = { step: input.step, at: 0 };
  else {
    const ask = waitingAsk(messaging, before);
    if (!ask || before.status !== 'waiting') return end('step gone: the flow file changed');
    if (input.type === 'reply') {
      if (ask.save) conversation.state.variables[ask.save] = input.body;
      note({ event: 'replied', step: before.step, text: input.body });
      from = ask.next ? { step: ask.next, at: 0 } : { step: before.step!, at: before.at! + 1 };
    } else {
      note({ event: 'noReply', step: before.step, text: `no reply within ${ask.timeout}` });
      if (!ask.noReply) return end('no reply');
      from = { step: ask.noReply, at: 0 };
    }
  }
  const outcome = await runSteps(messaging, conversation, from, turn, note);
  return outcome === 'waiting' ? trimmed(conversation) : end(outcome);
}

/** Runs actions from `from` on until an ask waits ('waiting') or why the conversation ends. */
async function runSteps(
  messaging: MessagingFlow,
  conversation: Conversation,
  from: { step: string; at: number },
  turn: TurnContext,
  note: (entry: Omit<PathEntry, 'at'>) => void,
): Promise<string> {
  const effects: ActionEffect[] = [];
  const scope = templateScope('message', turn.trigger, turn.settings, conversation.state);
  const logic: LogicContext = {
    state: conversation.state,
    scope,
    trigger: turn.trigger,
    effects,
    started: performance.now(),
    onError: undefined,
    hasStep: (name) => Object.hasOwn(messaging.steps, name),
    context: turn.context,
    where: from.step,
  };
  const text = (template: string) => render(template, scope).slice(0, MAX_SMS_LENGTH);
  let place: { step: string; at: number } | undefined = from;
  for (let entered = 0; place; entered++) {
    const step = Object.hasOwn(messaging.steps, place.step) ? messaging.steps[place.step] : undefined;
    if (!step) return `step gone: no step "${place.step}"`;
    if (entered >= MAX_STEPS_PER_TURN) return `loop: ${MAX_STEPS_PER_TURN} steps without a question`;
    if (place.at === 0) note({ event: 'step', step: place.step });
    logic.where = place.step;
    let next: { step: string; at: number } | undefined;
    for (let at = place.at; at < step.actions.length && !next; at++) {
      const { kind, module, value } = actionOf(step.actions[at] as VoiceAction);
      if (kind === 'ask' || kind === 'sms') {
        if (conversation.lastTexts.length >= MAX_TEXTS_PER_TURN)
          return `loop: more than ${MAX_TEXTS_PER_TURN} texts in a turn`;
        const sms =
          kind === 'ask'
            ? (value as Ask)
            : typeof value === 'string'
              ? { text: value }
              : (value as { text: string; to?: string });
        const to = ('to' in sms && sms.to) || conversation.party;
        const body = text(sms.text);
        if (!body.trim()) continue;
        conversation.lastTexts.push(textOf(conversation, to, body));
        note({
          event: kind === 'ask' ? 'asked' : 'sent',
          step: place.step,
          text: to === conversation.party ? body : `to ${to}: ${body}`,
        });
        if (kind === 'ask') {
          const wait = durationSeconds((value as Ask).timeout)!;
          Object.assign(conversation, {
            status: 'waiting',
            step: place.step,
            at,
            dueAt: new Date(turn.now.getTime() + wait * 1000).toISOString(),
          });
          flushEffects(effects, note);
          return 'waiting';
        }
        continue;
      }
      const chosen = await runLogic(logic, kind, module, value, at);
      flushEffects(effects, note);
      if (chosen !== undefined) next = { step: chosen, at: 0 };
    }
    place = next;
  }
  return 'completed';
}

function flushEffects(effects: ActionEffect[], note: (entry: Omit<PathEntry, 'at'>) => void): void {
  for (const effect of effects.splice(0)) note({ event: 'effect', text: effectLine(effect) });
}

/** `conversation|<id>|<turn>|<n>`: a replayed turn queues the same keys, and each text is sent once. */
const textOf = (conversation: Conversation, to: string, body: string): ConversationText => ({
  key: `conversation|${conversation.id}|${conversation.turn}|${conversation.lastTexts.length}`,
  to,
  from: conversation.line,
  body,
});

/** The path within its bound: the first entries and the latest, with a line saying how many were left out. */
function trimmed(conversation: Conversation): Conversation {
  const { path } = conversation;
  if (path.length <= MAX_PATH_ENTRIES) return conversation;
  const head = path.slice(0, 20);
  const tail = path.slice(-(MAX_PATH_ENTRIES - 21));
  const omitted = path.length - head.length - tail.length;
  conversation.path = [...head, { at: tail[0]!.at, event: 'effect', text: `… ${omitted} entries left out` }, ...tail];
  return conversation;
}

/** The path as a line people read: `rating · asked "How…" · replied "5" · no reply within 1h · ended: completed`. */
export function pathLine(path: readonly PathEntry[]): string {
  const piece = (entry: PathEntry): string => {
    switch (entry.event) {
      case 'step':
        return entry.step ?? '';
      case 'asked':
      case 'sent':
      case 'replied':
        return `${entry.event} ${JSON.stringify(entry.text ?? '')}`;
      case 'ended':
        return `ended: ${entry.text ?? ''}`;
      default:
        return entry.text ?? '';
    }
  };
  return path.map(piece).join(' · ');
}
