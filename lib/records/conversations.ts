/**
 * Text conversations in the TwilioConversations table, three kinds of entity:
 * - PartitionKey `conversation|<id>`, RowKey `conversation`: the conversation, its variables,
 *   the ask it waits at, its path, and the texts of its last turn. Written under its ETag, so
 *   of a reply and a timeout (or two timer instances) that move it at once, one wins.
 * - PartitionKey `pair|<line>|<party>`, RowKey `active`: which conversation the line holds with
 *   that party now. Creating it is the lock that lets only one start; a text from the party
 *   looks here first.
 * - PartitionKey `party|<party>`, RowKey `<id>`: every conversation with a number, so that
 *   erasing the number's data (erasure.ts) finds them without reading the others.
 * - PartitionKey `due|<shard>`, RowKey `<due time>|<id>|<turn>`: a waiting conversation's
 *   deadline. RowKeys sort by time, so the timer reads with one range query per shard exactly
 *   the rows that are due, never the conversations still waiting; a row is deleted once handled.
 * The cleanup timer deletes a conversation last active before RECORD_RETENTION_DAYS with its
 * rows (expireConversations).
 */
import type { TableClient } from '@azure/data-tables' with { 'resolution-mode': 'import' };
import { storageDeadline } from '../config/deadlines';
import type { Settings } from '../config/settings';
import { flowStateFromEntity, type FlowState } from './flowState';
import { keyPart, storageErrorCode, storageStatus, withTables } from './tables';

export type ConversationStatus = 'waiting' | 'ended';

/** One line of a conversation's path: `asked q1`, `replied "5"`, `no reply within 1h`, `ended: completed`. */
export interface PathEntry {
  at: string;
  /** step: entered a step; asked / sent: a text to the party (or another number); replied; noReply; effect: a logic action's line; ended. */
  event: 'step' | 'asked' | 'sent' | 'replied' | 'noReply' | 'effect' | 'ended';
  step?: string | undefined;
  text?: string | undefined;
}

/** A text a turn sends, put on the outbound queue under its key (sent once however often it is queued). */
export interface ConversationText {
  key: string;
  to: string;
  from: string;
  body: string;
}

export interface Conversation {
  id: string;
  /** The app's number. */
  line: string;
  /** Who the line is talking with. */
  party: string;
  status: ConversationStatus;
  /** The step and action index of the ask it waits at. */
  step?: string | undefined;
  at?: number | undefined;
  dueAt?: string | undefined;
  /** One more each time the conversation moves (start, reply, timeout): the texts' keys and the due rows carry it. */
  turn: number;
  state: FlowState;
  path: PathEntry[];
  endReason?: string | undefined;
  startedAt: string;
  updatedAt: string;
  /** The app's public origin: status callbacks of its texts go there. */
  origin: string;
  /** What moved it last (a MessageSid, `timeout|<turn>`, `start`): a redelivery of it is answered with lastTexts again. */
  lastInput?: string | undefined;
  lastTexts: ConversationText[];
}

/** A path longer than this keeps its first and latest entries (a conversation that loops for days). */
export const MAX_PATH_ENTRIES = 120;
const SHARDS = 4;
const ROW = 'conversation';

const conversationKeys = (id: string) => ({ partitionKey: `conversation|${id}`, rowKey: ROW });
const pairKeys = (line: string, party: string) => ({
  partitionKey: `pair|${keyPart(line)}|${keyPart(party)}`,
  rowKey: 'active',
});
const shardOf = (id: string) => [...id].reduce((sum, char) => sum + char.charCodeAt(0), 0) % SHARDS;
const dueKeys = (id: string, turn: number, dueAt: string) => ({
  partitionKey: `due|${shardOf(id)}`,
  rowKey: `${dueAt}|${id}|${turn}`,
});

function withConversations<T>(settings: Settings, work: (table: TableClient, signal: AbortSignal) => Promise<T>) {
  const signal = storageDeadline();
  return withTables(settings, signal, (tables) => work(tables.conversations, signal));
}

const toEntity = (conversation: Conversation) => ({
  ...conversationKeys(conversation.id),
  ...Object.fromEntries(Object.entries(conversation).filter(([, value]) => value !== undefined)),
  state: JSON.stringify(conversation.state),
  path: JSON.stringify(conversation.path),
  lastTexts: JSON.stringify(conversation.lastTexts),
});

function fromEntity(entity: Record<string, unknown>): Conversation {
  const text = (name: string) => (typeof entity[name] === 'string' ? (entity[name] as string) : undefined);
  return {
    id: String(entity.id),
    line: String(entity.line),
    party: String(entity.party),
    status: entity.status === 'waiting' ? 'waiting' : 'ended',
    step: text('step'),
    at: typeof entity.at === 'number' ? entity.at : undefined,
    dueAt: text('dueAt'),
    turn: Number(entity.turn ?? 0),
    state: flowStateFromEntity(entity),
    path: JSON.parse(text('path') ?? '[]') as PathEntry[],
    endReason: text('endReason'),
    startedAt: String(entity.startedAt),
    updatedAt: String(entity.updatedAt),
    origin: String(entity.origin),
    lastInput: text('lastInput'),
    lastTexts: JSON.parse(text('lastTexts') ?? '[]') as ConversationText[],
  };
}

export interface StoredConversation {
  conversation: Conversation;
  etag: string;
}

export function readConversation(settings: Settings, id: string): Promise<StoredConversation | undefined> {
  return withConversations(settings, async (table, signal) => {
    try {
      const { partitionKey, rowKey } = conversationKeys(id);
      const entity = await table.getEntity<Record<string, unknown>>(partitionKey, rowKey, { abortSignal: signal });
      return { conversation: fromEntity(entity), etag: entity.etag };
    } catch (error) {
      if (storageStatus(error) === 404) return undefined;
      throw error;
    }
  });
}

/** Lists the conversation under its party, before it is first written (so erasure finds every one). */
export function indexByParty(settings: Settings, party: string, id: string): Promise<void> {
  return withConversations(settings, async (table, signal) => {
    await table.upsertEntity({ partitionKey: `party|${keyPart(party)}`, rowKey: id }, 'Replace', {
      abortSignal: signal,
    });
  });
}

/** Deletes every conversation with `number` (and where the line notes it as active); answers how many. */
export async function eraseConversations(table: TableClient, number: string, signal: AbortSignal): Promise<number> {
  const partitionKey = `party|${keyPart(number)}`;
  const { odata } = await import('@azure/data-tables');
  const filter = odata`PartitionKey eq ${partitionKey}`;
  const ids: string[] = [];
  try {
    for await (const row of table.listEntities({ queryOptions: { filter, select: ['rowKey'] }, abortSignal: signal }))
      ids.push(String(row.rowKey));
  } catch (error) {
    // No conversation was ever held here (locally, the table is made on first use): nothing to erase.
    if (storageErrorCode(error) === 'TableNotFound') return 0;
    throw error;
  }
  let erased = 0;
  for (const id of ids) {
    const keys = conversationKeys(id);
    const entity = await table
      .getEntity<{ line?: string }>(keys.partitionKey, keys.rowKey, { abortSignal: signal })
      .catch(ignoreMissing);
    if (entity?.line !== undefined) {
      const pair = pairKeys(entity.line, number);
      const active = await table
        .getEntity<{ id?: string }>(pair.partitionKey, pair.rowKey, { abortSignal: signal })
        .catch(ignoreMissing);
      if (active?.id === id)
        await table.deleteEntity(pair.partitionKey, pair.rowKey, { abortSignal: signal }).catch(ignoreMissing);
      await table.deleteEntity(keys.partitionKey, keys.rowKey, { abortSignal: signal }).catch(ignoreMissing);
      erased++;
    }
    // Last: an erasure that stops before this finds the conversation again next time.
    await table.deleteEntity(partitionKey, id, { abortSignal: signal }).catch(ignoreMissing);
  }
  return erased;
}

const ignoreMissing = (error: unknown): undefined => {
  if (storageStatus(error) === 404) return undefined;
  throw error;
};

/** Writes the conversation: created when `etag` is undefined, else replaced only if nobody moved it since. False when somebody did. */
export function writeConversation(
  settings: Settings,
  conversation: Conversation,
  etag: string | undefined,
): Promise<boolean> {
  return withConversations(settings, async (table, signal) => {
    try {
      if (etag === undefined) await table.createEntity(toEntity(conversation), { abortSignal: signal });
      else await table.updateEntity(toEntity(conversation), 'Replace', { etag, abortSignal: signal });
      return true;
    } catch (error) {
      const status = storageStatus(error);
      if (status === 409 || status === 412) return false;
      throw error;
    }
  });
}

/** The conversation the line holds with the party now, if any. */
export function activeConversationId(settings: Settings, line: string, party: string): Promise<string | undefined> {
  return withConversations(settings, async (table, signal) => {
    try {
      const { partitionKey, rowKey } = pairKeys(line, party);
      const entity = await table.getEntity<{ id?: string }>(partitionKey, rowKey, { abortSignal: signal });
      return entity.id;
    } catch (error) {
      if (storageStatus(error) === 404) return undefined;
      throw error;
    }
  });
}

/** Makes `id` the line's conversation with the party; false when another is already active (or this one is). */
export function claimPair(settings: Settings, line: string, party: string, id: string): Promise<boolean> {
  return withConversations(settings, async (table, signal) => {
    try {
      await table.createEntity({ ...pairKeys(line, party), id }, { abortSignal: signal });
      return true;
    } catch (error) {
      if (storageStatus(error) === 409) return false;
      throw error;
    }
  });
}

/** The line no longer talks with the party in conversation `id` (another one that took its place stays). */
export function releasePair(settings: Settings, line: string, party: string, id: string): Promise<void> {
  return withConversations(settings, async (table, signal) => {
    const { partitionKey, rowKey } = pairKeys(line, party);
    try {
      const entity = await table.getEntity<{ id?: string }>(partitionKey, rowKey, { abortSignal: signal });
      if (entity.id === id) await table.deleteEntity(partitionKey, rowKey, { etag: entity.etag, abortSignal: signal });
    } catch (error) {
      if (storageStatus(error) !== 404 && storageStatus(error) !== 412) throw error;
    }
  });
}

export interface DueRow {
  partitionKey: string;
  rowKey: string;
  id: string;
  turn: number;
}

/** Notes when the conversation's ask at `turn` times out (written before the conversation, so none is missed; a stale one is dropped by the timer). */
export function addDue(settings: Settings, id: string, turn: number, dueAt: string): Promise<void> {
  return withConversations(settings, async (table, signal) => {
    await table.upsertEntity({ ...dueKeys(id, turn, dueAt), id, turn }, 'Replace', { abortSignal: signal });
  });
}

/** The rows due at `now` or before, oldest first, at most `limit` of each shard. */
export function dueRows(settings: Settings, now: Date, limit = 100): Promise<DueRow[]> {
  return withConversations(settings, async (table, signal) => {
    const { odata } = await import('@azure/data-tables');
    // `|` sorts after every character of an ISO time: every row due at or before now.
    const until = `${now.toISOString()}|~`;
    const shards = await Promise.all(
      Array.from({ length: SHARDS }, async (_, shard) => {
        const rows: DueRow[] = [];
        const filter = odata`PartitionKey eq ${`due|${shard}`} and RowKey le ${until}`;
        for await (const entity of table.listEntities<DueRow>({ queryOptions: { filter }, abortSignal: signal })) {
          rows.push({ partitionKey: entity.partitionKey, rowKey: entity.rowKey, id: entity.id, turn: entity.turn });
          if (rows.length >= limit) break;
        }
        return rows;
      }),
    );
    return shards.flat().sort((a, b) => a.rowKey.localeCompare(b.rowKey));
  });
}

export function deleteDue(settings: Settings, row: DueRow): Promise<void> {
  return withConversations(settings, async (table, signal) => {
    try {
      await table.deleteEntity(row.partitionKey, row.rowKey, { abortSignal: signal });
    } catch (error) {
      if (storageStatus(error) !== 404) throw error;
    }
  });
}

export interface ConversationRetentionCounts {
  /** Conversations deleted, `waiting` ones whose timer never ran included. */
  conversations: number;
  /** Their other rows deleted: the line's `pair` row (if still theirs), the `party` row, the current `due` row. */
  conversationRows: number;
  /** False when the run stopped at its budget: the next run goes on. */
  finished: boolean;
}

/** A waiting conversation is kept while its deadline is this close or ahead: the timer (every minute) owns it. */
const TIMER_MARGIN_MS = 24 * 60 * 60 * 1000;

/**
 * Deletes the conversations whose last activity (`updatedAt`) is before `cutoff`, with their
 * rows, a page of at most 100 at a time until `deadline` (ms since the epoch). The query is
 * a server-side filter over the `conversation|` partitions only (see docs/records.md). Each
 * conversation goes last, after its rows: a run cut short leaves it to be found by the next.
 * A `waiting` one is kept while its `dueAt` is less than a day past (or ahead): only one whose
 * timer never ran is that old and still waiting. Safe to repeat, including withTables' re-run.
 */
export async function expireConversations(
  table: TableClient,
  {
    now,
    cutoff,
    deadline,
    signal,
    pageSize = 100,
  }: { now: Date; cutoff: string; deadline: number; signal: AbortSignal; pageSize?: number },
): Promise<ConversationRetentionCounts> {
  const counts = { conversations: 0, conversationRows: 0, finished: true };
  const { odata } = await import('@azure/data-tables');
  const filter = odata`PartitionKey gt ${'conversation|'} and PartitionKey lt ${'conversation}'} and RowKey eq ${ROW} and updatedAt lt ${cutoff}`;
  const select = ['id', 'line', 'party', 'status', 'dueAt', 'turn'];
  const timerOwnsAfter = new Date(now.getTime() - TIMER_MARGIN_MS).toISOString();
  try {
    const pages = table
      .listEntities<Record<string, unknown>>({ queryOptions: { filter, select }, abortSignal: signal })
      .byPage({ maxPageSize: pageSize });
    for await (const page of pages) {
      for (const entity of page) {
        const dueAt = typeof entity.dueAt === 'string' ? entity.dueAt : undefined;
        if (entity.status === 'waiting' && dueAt !== undefined && dueAt > timerOwnsAfter) continue;
        const { rows, conversation } = await deleteConversation(table, entity, signal);
        counts.conversationRows += rows;
        if (conversation) counts.conversations += 1;
      }
      if (Date.now() > deadline) return { ...counts, finished: false };
    }
  } catch (error) {
    // No conversation was ever held here (locally, the table is made on first use): nothing to expire.
    if (storageErrorCode(error) === 'TableNotFound') return counts;
    throw error;
  }
  return counts;
}

/** The conversation's rows, then the conversation; answers how many rows were there and whether it was. */
async function deleteConversation(
  table: TableClient,
  entity: Record<string, unknown>,
  signal: AbortSignal,
): Promise<{ rows: number; conversation: boolean }> {
  const id = String(entity.id);
  const [line, party] = [String(entity.line), String(entity.party)];
  const remove = async (keys: { partitionKey: string; rowKey: string }, etag?: string): Promise<number> => {
    try {
      await table.deleteEntity(keys.partitionKey, keys.rowKey, { etag, abortSignal: signal });
      return 1;
    } catch (error) {
      // Gone already (a run before this one), or the pair was taken by another conversation meanwhile.
      if (storageStatus(error) !== 404 && storageStatus(error) !== 412) throw error;
      return 0;
    }
  };
  let rows = 0;
  const pair = pairKeys(line, party);
  const active = await table
    .getEntity<{ id?: string }>(pair.partitionKey, pair.rowKey, { abortSignal: signal })
    .catch(ignoreMissing);
  const heldPair = active?.id === id && (await remove(pair, active.etag)) === 1;
  const partyRow = { partitionKey: `party|${keyPart(party)}`, rowKey: id };
  rows += Number(heldPair) + (await remove(partyRow));
  // The due row of its last ask; rows of earlier turns are dropped by the timer when due (their conversation is gone).
  if (typeof entity.dueAt === 'string') rows += await remove(dueKeys(id, Number(entity.turn ?? 0), entity.dueAt));
  const keys = conversationKeys(id);
  try {
    // Under the ETag it was found with: a reply that moved it meanwhile keeps it.
    const etag = typeof entity.etag === 'string' ? entity.etag : undefined;
    await table.deleteEntity(keys.partitionKey, keys.rowKey, { etag, abortSignal: signal });
    return { rows, conversation: true };
  } catch (error) {
    if (storageStatus(error) === 404) return { rows, conversation: false };
    if (storageStatus(error) !== 412) throw error;
  }
  // It moved: it is live again, so its rows come back (its new due row was written by the move).
  await table.upsertEntity(partyRow, 'Replace', { abortSignal: signal });
  if (heldPair) await table.createEntity({ ...pair, id }, { abortSignal: signal }).catch(ignoreConflict);
  return { rows: 0, conversation: false };
}

const ignoreConflict = (error: unknown): undefined => {
  if (storageStatus(error) === 409) return undefined;
  throw error;
};
