import { describe, expect, it } from 'vitest';
import {
  eventEntity,
  eventFromEntity,
  partitionOf,
  recordEntity,
  recordFromEntity,
  recordKeys,
  SHARDS,
  shardPartition,
} from '../../../lib/records/entities';
import type { CallOrMessage, Observation } from '../../../lib/records/model';
import { MAX_TEXT_LENGTH } from '../../../lib/records/tables';

const hex = (n: number) => n.toString(16).padStart(32, '0');
const message: CallOrMessage = {
  sid: `SM${hex(1)}`,
  kind: 'message',
  direction: 'inbound',
  status: 'received',
  from: '+15550002222',
  to: '+15550100000',
  body: 'hello',
  mediaUrls: ['https://example.com/a.png'],
  createdAt: '2026-11-29T12:00:00.000Z',
  updatedAt: '2026-11-29T12:00:00.000Z',
};

describe('partitions', () => {
  it('put a SID always in the same one of its kind’s eight shards', () => {
    expect(partitionOf('call', `CA${hex(7)}`)).toBe(partitionOf('call', `CA${hex(7)}`));
    expect(SHARDS.map((shard) => shardPartition('call', shard))).toContain(partitionOf('call', `CA${hex(7)}`));
    expect(partitionOf('message', `SM${hex(7)}`)).toMatch(/^message\|[0-7]$/);
  });

  it('spread SIDs over every shard', () => {
    const used = new Set(Array.from({ length: 64 }, (_, n) => partitionOf('call', `CA${hex(n)}`)));
    expect(used.size).toBe(SHARDS.length);
  });
});

describe('recordEntity and recordFromEntity', () => {
  it('store a record under its keys, lists as JSON, and read it back unchanged', () => {
    const entity = recordEntity(message);
    expect(entity).toMatchObject({ ...recordKeys('message', message.sid), mediaUrls: '["https://example.com/a.png"]' });
    expect(entity).not.toHaveProperty('sid');
    expect(recordFromEntity(entity)).toEqual(message);
  });

  it('cut a text longer than a property holds, and name it in truncated, keeping earlier cuts', () => {
    const long = { ...message, body: 'x'.repeat(MAX_TEXT_LENGTH + 10), truncated: ['from'] };
    const back = recordFromEntity(recordEntity(long));
    expect(back.body).toHaveLength(MAX_TEXT_LENGTH);
    expect(back.truncated).toEqual(['from', 'body']);
  });
});

describe('eventEntity', () => {
  it('keeps an event beside its record, keyed by the observation’s event key', () => {
    const observation: Observation = {
      kind: 'message',
      sid: message.sid,
      direction: 'inbound',
      status: 'received',
      source: 'sms-webhook',
      eventKey: 'sms-webhook',
      body: 'hello',
    };
    const entity = eventEntity(observation, '2026-11-29T12:00:01.000Z');
    expect(entity.partitionKey).toBe(recordKeys('message', message.sid).partitionKey);
    expect(entity.rowKey).toBe(`${recordKeys('message', message.sid).rowKey}|event|sms-webhook`);
    expect(eventFromEntity(entity)).toMatchObject({
      status: 'received',
      source: 'sms-webhook',
      at: '2026-11-29T12:00:01.000Z',
    });
  });
});
