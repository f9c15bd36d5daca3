import { InvocationContext } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../../lib/config/settings';
import { cleanup, CLEANUP_SCHEDULE } from '../../../lib/outbound/cleanup';
import { baseSettings } from '../../support/settings';

/** What a run counts, as its answer and log line name them. */
const COUNTED = [
  'conversationRows',
  'conversations',
  'events',
  'flowState',
  'idempotencyKeys',
  'listingRows',
  'recordingsDeleted',
  'records',
];

describe('cleanup', () => {
  it('runs daily at 03:30 UTC (NCRONTAB, seconds first)', () => {
    expect(CLEANUP_SCHEDULE).toBe('0 30 3 * * *');
  });

  it('reports what it deleted in one log line and its answer (Azurite, as of a day long ago: nothing)', async () => {
    const lines: string[] = [];
    const context = new InvocationContext({ logHandler: (_level, ...args) => lines.push(args.join(' ')) });
    const result = await cleanup(loadSettings(baseSettings), context, { now: new Date('2015-01-01T03:30:00Z') });
    const { finished, ...counts } = result;
    expect(finished).toBe(true);
    expect(Object.keys(counts).sort()).toEqual(COUNTED);
    expect(Object.values(counts).every((count) => count === 0)).toBe(true);
    expect(lines).toEqual([expect.stringMatching(/^Cleanup: \{"idempotencyKeys":0,"records":0,.*"finished":true\}/)]);
  });
});
