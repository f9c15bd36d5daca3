import { InvocationContext } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../../lib/config/settings';
import { cleanup, CLEANUP_SCHEDULE } from '../../../lib/outbound/cleanup';
import { baseSettings } from '../../support/settings';

describe('cleanup', () => {
  it('runs daily at 03:30 UTC (NCRONTAB, seconds first)', () => {
    expect(CLEANUP_SCHEDULE).toBe('0 30 3 * * *');
  });

  it('reports what it deleted in one log line and its answer (Azurite, as of a day long ago: nothing)', async () => {
    const lines: string[] = [];
    const context = new InvocationContext({ logHandler: (_level, ...args) => lines.push(args.join(' ')) });
    const result = await cleanup(loadSettings(baseSettings), context, { now: new Date('2015-01-01T03:30:00Z') });
    expect(result).toEqual({
      idempotencyKeys: 0,
      records: 0,
      events: 0,
      listingRows: 0,
      flowState: 0,
      recordingsDeleted: 0,
      finished: true,
    });
    expect(lines).toEqual([expect.stringMatching(/^Cleanup: \{"idempotencyKeys":0,"records":0,.*"finished":true\}/)]);
  });
});
