/**
 * Which status of a call or message is "more advanced". Twilio's callbacks arrive at least
 * once and in any order, so a record keeps the most advanced status it has seen, and a
 * final status never goes back.
 */
import { own } from '../http/own';

export type Kind = 'call' | 'message';

const CALL_RANK: Record<string, number> = {
  queued: 0,
  initiated: 1,
  ringing: 2,
  'in-progress': 3,
  completed: 4,
  busy: 4,
  'no-answer': 4,
  failed: 4,
  canceled: 4,
};

// accepted/scheduled < queued < sending < sent < delivered/undelivered/failed < read
const MESSAGE_RANK: Record<string, number> = {
  accepted: 0,
  scheduled: 0,
  queued: 1,
  sending: 2,
  receiving: 2,
  sent: 3,
  received: 4,
  delivered: 4,
  undelivered: 4,
  failed: 4,
  canceled: 4,
  partially_delivered: 4,
  read: 5,
};

const FINAL_CALL_RANK = 4;

/** The order of a status among its kind's; -1 for a status this app does not know (it is recorded, never applied). */
export function statusRank(kind: Kind, status: string): number {
  const ranks = kind === 'call' ? CALL_RANK : MESSAGE_RANK;
  return own(ranks, status) ?? -1;
}

export interface StatusPoint {
  status: string;
  /** Calls only: Twilio's SequenceNumber of the callback. */
  sequence?: number | undefined;
}

/**
 * Whether `next` replaces `current` as the record's status. A final call status never goes
 * back; otherwise calls follow SequenceNumber when both have one, and status order when not.
 * Messages follow status order alone (delivered can still become read).
 */
export function advances(kind: Kind, current: StatusPoint, next: StatusPoint): boolean {
  const nextRank = statusRank(kind, next.status);
  if (nextRank < 0 || next.status === current.status) return false;
  const currentRank = statusRank(kind, current.status);
  if (kind === 'message') return nextRank > currentRank;
  if (currentRank >= FINAL_CALL_RANK) return false;
  if (nextRank >= FINAL_CALL_RANK) return true;
  if (current.sequence !== undefined && next.sequence !== undefined && current.sequence !== next.sequence) {
    return next.sequence > current.sequence;
  }
  return nextRank > currentRank;
}
