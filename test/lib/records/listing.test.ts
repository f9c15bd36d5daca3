import { describe, expect, it } from 'vitest';
import { partitionOf, recordFromListingRow } from '../../../lib/records/entities';
import { listingRows, listQuery, newestRows, type Row, type ShardRows } from '../../../lib/records/listing';
import type { CallOrMessage } from '../../../lib/records/model';

const sid = (n: number) => `CA${String(n).padStart(32, '0')}`;
const call = (over: Partial<CallOrMessage> = {}): CallOrMessage => ({
  sid: sid(1),
  kind: 'call',
  direction: 'outbound',
  status: 'queued',
  from: '+15550100000',
  to: '+15550002222',
  createdAt: '2026-11-29T12:00:00.000Z',
  updatedAt: '2026-11-29T12:00:00.000Z',
  ...over,
});
const filterOf = (rowKey: string) => rowKey.split('|').slice(0, -2).join('|');
const positionOf = (rowKey: string) => rowKey.split('|').slice(-2).join('|');

describe('listingRows', () => {
  it('puts a record in every listing it belongs to: all, its direction, each E.164 party and with direction', () => {
    const rows = listingRows(call());
    expect(rows.map((row) => filterOf(row.rowKey))).toEqual([
      'all',
      'outbound',
      'n|%2B15550100000',
      'n|%2B15550100000|outbound',
      'n|%2B15550002222',
      'n|%2B15550002222|outbound',
    ]);
    for (const row of rows) {
      expect(row).toMatchObject({ partitionKey: partitionOf('call', sid(1)), sid: sid(1) });
    }
  });

  it('indexes only E.164 parties, and one party once', () => {
    const client = listingRows(call({ direction: 'inbound', from: 'client:alice', to: 'anonymous' }));
    expect(client.map((row) => filterOf(row.rowKey))).toEqual(['all', 'inbound']);
    const self = listingRows(call({ from: '+15550100000', to: '+15550100000' }));
    expect(self.map((row) => filterOf(row.rowKey))).toEqual([
      'all',
      'outbound',
      'n|%2B15550100000',
      'n|%2B15550100000|outbound',
    ]);
  });

  it('orders newer records first in key order, and records of the same instant by SID', () => {
    const key = (record: CallOrMessage) => listingRows(record)[0]!.rowKey;
    const older = key(call({ createdAt: '2026-11-29T12:00:00.000Z' }));
    const newer = key(call({ sid: sid(2), createdAt: '2026-11-29T12:00:00.001Z' }));
    const sameInstant = key(call({ sid: sid(3), createdAt: '2026-11-29T12:00:00.001Z' }));
    expect([older, sameInstant, newer].sort()).toEqual([newer, sameInstant, older]);
  });
});

describe('a listing row carries its record', () => {
  it('reads back as the record itself, so a listing reads no record', () => {
    const record = call({ status: 'completed', duration: 42, sequence: 3, updatedAt: '2026-11-29T12:01:00.000Z' });
    for (const row of listingRows(record)) expect(recordFromListingRow(row)).toEqual(record);
  });

  it('a row written before rows carried their record (its SID only) says so, so its record is read', () => {
    expect(recordFromListingRow({ partitionKey: 'call|1', rowKey: 'all|1|x', sid: sid(1) })).toBeUndefined();
  });
});

describe('newestRows', () => {
  /** A shard whose rows come `size` at a time, counting the pages read. */
  function shard(keys: string[], size: number): ShardRows & { reads: number } {
    const rest = [...keys];
    const state = {
      waiting: [] as Row[],
      reads: 0,
      async fill() {
        if (state.waiting.length || !rest.length) return;
        state.reads++;
        state.waiting.push(...rest.splice(0, size).map((rowKey) => ({ rowKey })));
      },
    };
    return state;
  }

  it('merges shards in key order, reading a shard further only when the merge runs out of its rows', async () => {
    const busy = shard(['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7'], 2);
    const quiet = shard(['b1', 'b9'], 2);
    const empty = shard([], 2);
    const rows = await newestRows([busy, quiet, empty], 6);
    expect(rows.map((row) => row.rowKey)).toEqual(['a1', 'a2', 'a3', 'a4', 'a5', 'a6']);
    expect([busy.reads, quiet.reads, empty.reads]).toEqual([3, 1, 0]);
    expect((await newestRows([shard(['a', 'c'], 1), shard(['b'], 1)], 10)).map((row) => row.rowKey)).toEqual([
      'a',
      'b',
      'c',
    ]);
  });
});

describe('listQuery', () => {
  it('defaults to 50 records and takes 1 to 100', () => {
    expect(listQuery.parse({})).toEqual({ limit: 50 });
    expect(listQuery.parse({ limit: '1' }).limit).toBe(1);
    expect(listQuery.parse({ limit: '100' }).limit).toBe(100);
    for (const limit of ['0', '101', '-1', '2.5', 'ten', '']) {
      const result = listQuery.safeParse({ limit });
      expect(result.success, limit).toBe(false);
      expect(result.error?.issues[0]?.message).toBe('must be a whole number from 1 to 100');
    }
  });

  it('filters by an E.164 number and a direction, naming what is wrong', () => {
    expect(listQuery.parse({ number: '+15550100000', direction: 'inbound' })).toMatchObject({
      number: '+15550100000',
      direction: 'inbound',
    });
    expect(listQuery.safeParse({ direction: 'sideways' }).error?.issues[0]?.message).toBe(
      'must be inbound or outbound',
    );
    expect(listQuery.safeParse({ number: '555-1234' }).success).toBe(false);
  });

  it('takes back a cursor made from a listing position, and refuses any other', () => {
    const position = positionOf(listingRows(call())[0]!.rowKey);
    const cursor = Buffer.from(position).toString('base64url');
    expect(listQuery.parse({ cursor }).cursor).toBe(position);
    for (const bad of ['garbage', Buffer.from('0|CA1').toString('base64url'), '']) {
      expect(listQuery.safeParse({ cursor: bad }).error?.issues[0]?.message, bad).toBe(
        'is not a cursor from nextCursor',
      );
    }
  });

  it('accepts the function key Azure reads from the query string, and refuses unknown parameters', () => {
    expect(listQuery.safeParse({ code: 'key' }).success).toBe(true);
    expect(listQuery.safeParse({ page: '2' }).success).toBe(false);
  });
});
