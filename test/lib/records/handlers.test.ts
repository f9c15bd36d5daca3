import { describe, expect, it } from 'vitest';
import { getSettings } from '../../../lib/config/settings';
import { recordLister, recordReader } from '../../../lib/records/handlers';
import { placedObservation } from '../../../lib/records/observations';
import { saveObservation } from '../../../lib/records/store';
import { callSid } from '../../../lib/twilio/ids';
import { invoke } from '../../support/invoke';
import { useSettings } from '../../support/settings';

const newSid = () => `CA${crypto.randomUUID().replaceAll('-', '')}`;
const get = (url: string, params: Record<string, string> = {}) => ({ method: 'GET', url, params });

describe('records: the API that reads them (Azurite)', () => {
  useSettings({});
  const reader = recordReader('call', callSid);

  it('answers a recorded call with its history', async () => {
    const sid = newSid();
    await saveObservation(
      getSettings(),
      placedObservation('call', { sid, status: 'queued', to: '+15550100199', from: '+15005550006' }),
    );
    const answer = await invoke(reader, get(`http://127.0.0.1/api/calls/${sid}`, { sid }));
    expect(answer.response.status).toBe(200);
    expect(answer.json()).toMatchObject({
      sid,
      status: 'queued',
      events: [expect.objectContaining({ status: 'queued' })],
    });
  });

  it('refuses a SID that is not one with a 400 naming "sid", and answers 404 for one never recorded', async () => {
    const bad = await invoke(reader, get('http://127.0.0.1/api/calls/nope', { sid: 'nope' }));
    expect(bad.response.status).toBe(400);
    expect(bad.text).toContain('"field":"sid"');
    const sid = newSid();
    const missing = await invoke(reader, get(`http://127.0.0.1/api/calls/${sid}`, { sid }));
    expect(missing.response.status).toBe(404);
    expect(missing.text).toContain(sid);
  });

  it('refuses a listing query it cannot read with a 400 naming the field', async () => {
    const answer = await invoke(recordLister('call'), get('http://127.0.0.1/api/calls?direction=sideways'));
    expect(answer.response.status).toBe(400);
    expect(answer.text).toContain('"field":"direction"');
  });
});
