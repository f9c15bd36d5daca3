import { describe, expect, it } from 'vitest';
import { getSettings } from '../../../lib/config/settings';
import { placedObservation, statusCallbackObservation } from '../../../lib/records/observations';
import { findEvent, findRecord, saveObservation, shownRecord } from '../../../lib/records/store';
import { useSettings } from '../../support/settings';

const callSid = () => `CA${crypto.randomUUID().replaceAll('-', '')}`;
const status = (sid: string, CallStatus: string, SequenceNumber: string) =>
  statusCallbackObservation({
    CallSid: sid,
    AccountSid: `AC${'0'.repeat(32)}`,
    From: '+15005550006',
    To: '+15550100199',
    Direction: 'outbound-api',
    CallStatus,
    SequenceNumber,
  });
const placed = (sid: string) =>
  placedObservation('call', { sid, status: 'queued', to: '+15550100199', from: '+15005550006' });

describe('store: records and their history (Azurite)', () => {
  useSettings({});

  it('records a call once per event: a redelivered callback is a duplicate, not a second event', async () => {
    const sid = callSid();
    expect(await saveObservation(getSettings(), placed(sid))).toEqual({ duplicate: false });
    expect(await saveObservation(getSettings(), status(sid, 'ringing', '1'))).toEqual({ duplicate: false });
    expect(await saveObservation(getSettings(), status(sid, 'ringing', '1'))).toEqual({ duplicate: true });
    const record = await findRecord(getSettings(), 'call', sid);
    expect(record?.events).toHaveLength(2);
    expect(record?.status).toBe('ringing');
  });

  it('puts callbacks that arrive out of order in the order they happened, and never moves the status back', async () => {
    const sid = callSid();
    await saveObservation(getSettings(), placed(sid), { now: new Date('2026-01-01T10:00:00Z') });
    await saveObservation(getSettings(), status(sid, 'completed', '3'), { now: new Date('2026-01-01T10:01:00Z') });
    await saveObservation(getSettings(), status(sid, 'ringing', '1'), { now: new Date('2026-01-01T10:02:00Z') });
    const record = await findRecord(getSettings(), 'call', sid);
    expect(record?.status).toBe('completed');
    expect(record?.events.map((event) => event.status)).toEqual(['queued', 'ringing', 'completed']);
  });

  it('finds one event by its key, and nothing for a SID it never saw or of another kind', async () => {
    const sid = callSid();
    const ringing = status(sid, 'ringing', '1');
    await saveObservation(getSettings(), ringing);
    expect(await findEvent(getSettings(), 'call', sid, ringing.eventKey)).toMatchObject({ status: 'ringing' });
    expect(await findEvent(getSettings(), 'call', sid, 'status|9|busy')).toBeUndefined();
    expect(await findRecord(getSettings(), 'call', callSid())).toBeUndefined();
    expect(await findRecord(getSettings(), 'message', sid)).toBeUndefined();
  });

  it('shows a record’s variables with the secret ones masked, and no internals', () => {
    const record = {
      sid: 'CA1',
      events: [],
      flowState: { variables: { name: 'Ada', pin: '1234' }, widgets: {}, secret: ['pin'] },
    } as unknown as Parameters<typeof shownRecord>[0];
    const shown = shownRecord(record) as Record<string, unknown>;
    expect(shown.flowState).toBeUndefined();
    expect(shown.variables).toMatchObject({ name: 'Ada' });
    expect(JSON.stringify(shown)).not.toContain('1234');
  });
});
