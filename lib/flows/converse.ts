/**
 * Text conversations with storage and the outbound queue: started by a rule or by POST
 * /api/messages with `flow`, moved by the party's replies (the SMS webhook) and by timeouts
 * (the conversationTimeouts timer), ended by the flow, a timeout with no noReply step, or an
 * opt-out keyword. Each move is one ETag-guarded write of the conversation, then its texts are
 * queued under keys of that turn: a redelivered text or a second timer instance never texts twice.
 * Loaded only by flows that have messaging.steps (the webhooks import it when they need it).
 */
import { randomBytes } from 'node:crypto';
import type { InvocationContext } from '@azure/functions';
import { storageDeadline } from '../config/deadlines';
import type { Settings } from '../config/settings';
import { AppError } from '../errors';
import { queuedText } from '../outbound/kinds';
import { enqueue } from '../outbound/queue';
import {
  activeConversationId,
  addDue,
  claimPair,
  deleteDue,
  dueRows,
  indexByParty,
  readConversation,
  releasePair,
  writeConversation,
  type Conversation,
  type DueRow,
} from '../records/conversations';
import { advance, newConversation, type ConversationInput } from './conversation';
import { getFlows } from './load';
import { DEFAULT_FLOWS, type FlowFile } from './schema';

/** A conversation with this party is already going on: one at a time per line and party. */
export class ConversationActiveError extends AppError {
  constructor(
    readonly to: string,
    readonly id: string,
  ) {
    super(409, `A conversation with ${to} is already going on (${id}); it must end before another starts`, {
      extra: { code: 'conversation-active', conversation: id },
    });
    this.name = 'ConversationActiveError';
  }
}

export const newConversationId = (): string => `CV${randomBytes(16).toString('hex')}`;
export const CONVERSATION_ID = /^CV[0-9a-f]{32}$/;

const messagingOf = (flows: FlowFile) => flows.messaging ?? DEFAULT_FLOWS.messaging!;

export interface StartRequest {
  id: string;
  line: string;
  party: string;
  step: string;
  origin: string;
  variables?: Record<string, unknown> | undefined;
  trigger: Record<string, string>;
  now: Date;
}

/** Starts a conversation at `step` and queues its first texts; ConversationActiveError when one is going on. */
export async function startConversation(
  settings: Settings,
  flows: FlowFile,
  request: StartRequest,
  context?: InvocationContext,
): Promise<Conversation> {
  const { id, line, party } = request;
  for (let attempt = 0; !(await claimPair(settings, line, party, id)); attempt++) {
    const active = await activeConversationId(settings, line, party);
    const stored = active === undefined ? undefined : await readConversation(settings, active);
    // The same start delivered again: its texts are queued again (each is sent once).
    if (active === id && stored) return queued(settings, stored.conversation);
    if (active === id) break;
    if (stored?.conversation.status === 'waiting' || attempt > 0)
      throw new ConversationActiveError(party, active ?? 'unknown');
    // A pair left behind by a conversation that ended (or never got written): free it.
    if (active !== undefined) await releasePair(settings, line, party, active);
  }
  const fresh = newConversation(request, request.now);
  const started = await advance(
    messagingOf(flows),
    fresh,
    { type: 'start', step: request.step },
    {
      settings,
      now: request.now,
      trigger: request.trigger,
      context,
    },
  );
  await save(settings, started, undefined);
  return queued(settings, started);
}

/**
 * A text from a party the line is in a conversation with: the reply to the ask it waits at.
 * Undefined when there is none (or it ended): the text is then handled as any other.
 */
export async function replyToConversation(
  settings: Settings,
  flows: FlowFile,
  text: { line: string; party: string; body: string; messageSid: string; trigger: Record<string, string> },
  now: Date,
  context?: InvocationContext,
): Promise<Conversation | undefined> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const id = await activeConversationId(settings, text.line, text.party);
    const stored = id === undefined ? undefined : await readConversation(settings, id);
    if (!stored || stored.conversation.status !== 'waiting') {
      if (id !== undefined) await releasePair(settings, text.line, text.party, id);
      return undefined;
    }
    if (stored.conversation.lastInput === text.messageSid) return queued(settings, stored.conversation);
    const input: ConversationInput = { type: 'reply', body: text.body, messageSid: text.messageSid };
    const moved = await advance(messagingOf(flows), stored.conversation, input, {
      settings,
      now,
      trigger: text.trigger,
      context,
    });
    if (await save(settings, moved, stored.etag)) return queued(settings, moved);
    // A timeout moved it first: this text answers where it is now.
  }
  return undefined;
}

/** STOP (or another opt-out keyword) ends the conversation at once; nothing more is sent. */
export async function endForOptOut(
  settings: Settings,
  line: string,
  party: string,
  keyword: string,
  now: Date,
): Promise<Conversation | undefined> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const id = await activeConversationId(settings, line, party);
    const stored = id === undefined ? undefined : await readConversation(settings, id);
    if (!stored || stored.conversation.status !== 'waiting') {
      if (id !== undefined) await releasePair(settings, line, party, id);
      return undefined;
    }
    const at = now.toISOString();
    const ended: Conversation = {
      ...stored.conversation,
      status: 'ended',
      endReason: `opted out (${keyword})`,
      step: undefined,
      at: undefined,
      dueAt: undefined,
      turn: stored.conversation.turn + 1,
      updatedAt: at,
      lastInput: `opt-out|${stored.conversation.turn}`,
      lastTexts: [],
      path: [
        ...stored.conversation.path,
        { at, event: 'replied', text: keyword },
        { at, event: 'ended', text: `opted out (${keyword})` },
      ],
    };
    if (await save(settings, ended, stored.etag)) return ended;
  }
  return undefined;
}

/**
 * The timer's work: every conversation whose ask is due at `now` takes its noReply step (or
 * ends). Two instances may read the same rows: the conversation's ETag lets one move it, and
 * a move already made (its texts perhaps not queued) has its texts queued again.
 */
export async function moveDueConversations(settings: Settings, context: InvocationContext, now: Date): Promise<number> {
  let moved = 0;
  for (const row of await dueRows(settings, now)) {
    try {
      if (await moveDue(settings, row, now, context)) moved++;
      await deleteDue(settings, row);
    } catch (error) {
      context.error(`Conversation ${row.id}: its timeout could not be handled now; tried again next minute`, error);
    }
  }
  return moved;
}

async function moveDue(settings: Settings, row: DueRow, now: Date, context: InvocationContext): Promise<boolean> {
  const stored = await readConversation(settings, row.id);
  if (!stored) return false;
  const { conversation } = stored;
  // Moved by this timeout already (another instance, or a try that stopped before queueing).
  if (conversation.lastInput === `timeout|${row.turn}`) {
    await queued(settings, conversation);
    return false;
  }
  if (conversation.status !== 'waiting' || conversation.turn !== row.turn) return false;
  const trigger = { From: conversation.party, To: conversation.line };
  const next = await advance(
    messagingOf(getFlows(settings)),
    conversation,
    { type: 'timeout' },
    {
      settings,
      now,
      trigger,
      context,
    },
  );
  if (!(await save(settings, next, stored.etag))) return false;
  await queued(settings, next);
  context.log(`Conversation ${conversation.id}: no reply at ${conversation.step}; ${describeWhere(next)}`);
  return true;
}

export const describeWhere = (conversation: Conversation): string =>
  conversation.status === 'waiting' ? `waits at ${conversation.step}` : `ended: ${conversation.endReason}`;

/**
 * Stores a moved conversation: its deadline first (a row left by a write that then lost is
 * dropped by the timer as stale), then the conversation under the ETag it was read with, then,
 * once it ended, the pair is free for the next one. False when somebody moved it first.
 */
async function save(settings: Settings, conversation: Conversation, etag: string | undefined): Promise<boolean> {
  if (etag === undefined) await indexByParty(settings, conversation.party, conversation.id);
  if (conversation.status === 'waiting' && conversation.dueAt)
    await addDue(settings, conversation.id, conversation.turn, conversation.dueAt);
  if (!(await writeConversation(settings, conversation, etag))) return false;
  if (conversation.status === 'ended')
    await releasePair(settings, conversation.line, conversation.party, conversation.id);
  return true;
}

/** Puts the texts of the conversation's last turn on the outbound queue (a 503 to the caller when it is down). */
async function queued(settings: Settings, conversation: Conversation): Promise<Conversation> {
  const cause = conversation.lastInput?.startsWith('SM') ? { causeSid: conversation.lastInput } : {};
  const texts = conversation.lastTexts.map(({ key, ...text }) =>
    queuedText(key, conversation.origin, { ...text, purpose: 'conversation', ...cause }),
  );
  await enqueue(settings, texts, storageDeadline());
  return conversation;
}
