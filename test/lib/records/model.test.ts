import { describe, expect, it } from 'vitest';
import { recordEntity, recordFromEntity } from '../../../lib/records/entities';
import { FACTS, mergeFacts, recordSchema, type CallOrMessage, type Observation } from '../../../lib/records/model';

const record: CallOrMessage = recordSchema.parse({
  sid: 'SM0123456789abcdef0123456789abcdef',
  kind: 'message',
  direction: 'inbound',
  status: 'received',
  from: '+15550001111',
  body: 'hi',
  createdAt: '2026-11-25T10:00:00.000Z',
  updatedAt: '2026-11-25T10:00:00.000Z',
});
const observation = (facts: Partial<Observation>): Observation => ({
  kind: 'message',
  sid: record.sid,
  direction: 'inbound',
  status: 'received',
  source: 'status-callback',
  eventKey: 'x',
  ...facts,
});

describe('the record model', () => {
  it('merges each fact by its rule: the first value stays, the highest sequence wins, recordings add up', () => {
    const merged = mergeFacts(
      { ...record, sequence: 2 },
      observation({ from: '+15559999999', to: '+15005550006', body: 'later', sequence: 5, errorCode: 30003 }),
    );
    expect(merged).toMatchObject({
      from: '+15550001111',
      to: '+15005550006',
      body: 'hi',
      sequence: 5,
      errorCode: 30003,
    });
    expect(mergeFacts({ ...record, sequence: 7 }, observation({ sequence: 5 })).sequence).toBe(7);
    expect(
      mergeFacts(
        { ...record, recordings: ['https://r/1'] },
        observation({ recordings: ['https://r/2', 'https://r/1'] }),
      ).recordings,
    ).toEqual(['https://r/1', 'https://r/2']);
  });

  it('round-trips every fact through a table entity, lists included', () => {
    const full = {
      ...record,
      to: '+15005550006',
      sequence: 1,
      duration: 3,
      errorCode: 0,
      mediaUrls: ['https://a.example/1', 'https://a.example/2'],
      recordings: ['https://api.example/Recordings/RE1'],
      recordingsDeletedAt: '2027-06-01T03:30:00.000Z',
      purpose: 'forward',
      causeSid: 'SM0123456789abcdef0123456789abcdef',
    };
    expect(Object.keys(FACTS).every((name) => name in full)).toBe(true);
    const entity = recordEntity(full);
    expect(entity.mediaUrls).toBe(JSON.stringify(full.mediaUrls));
    expect(recordFromEntity({ ...entity, etag: 'W/"x"', timestamp: 'now' })).toEqual(full);
  });
});
