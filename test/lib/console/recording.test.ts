import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSettings } from '../../../lib/config/settings';
import { callRecording } from '../../../lib/console/recording';
import { startFakeEndpoint, type FakeEndpoint } from '../../support/fakeEndpoint';
import { invoke } from '../../support/invoke';
import { saveRecordedCall } from '../../support/records';
import { TEST_ACCOUNT_SID, useSettings } from '../../support/settings';

const hex = () => randomBytes(16).toString('hex');
let twilio: FakeEndpoint;
beforeAll(async () => {
  twilio = await startFakeEndpoint({ text: 'ID3-audio' });
});
afterAll(() => twilio.close());

const play = (sid: string, recordingSid: string) =>
  invoke(callRecording, {
    method: 'GET',
    url: `http://127.0.0.1/api/calls/${sid}/recordings/${recordingSid}`,
    params: { sid, recordingSid },
  });

const recordedCall = () => saveRecordedCall(getSettings());

describe('GET /api/calls/{sid}/recordings/{recordingSid} (Azurite)', () => {
  it('streams a recording the call lists, fetched from Twilio with the account credentials', async () => {
    useSettings({ TWILIO_API_BASE_URL: twilio.url });
    const { sid, recordingSid } = await recordedCall();
    const answer = await play(sid, recordingSid);
    expect(answer.response.status).toBe(200);
    expect(answer.text).toBe('ID3-audio');
    const fetched = twilio.requests.at(-1)!;
    expect(fetched.path).toBe(`/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Recordings/${recordingSid}.mp3`);
    expect(fetched.headers.authorization).toMatch(/^Basic /);
  });

  it('serves no recording the call does not list, and nothing for a call never recorded (404)', async () => {
    useSettings({ TWILIO_API_BASE_URL: twilio.url });
    const { sid } = await recordedCall();
    const before = twilio.requests.length;
    expect((await play(sid, `RE${hex()}`)).response.status).toBe(404);
    expect((await play(`CA${hex()}`, `RE${hex()}`)).response.status).toBe(404);
    expect(twilio.requests.length).toBe(before);
  });

  it('refuses what is not a SID with a 400 naming the parameter', async () => {
    const call = await play('CAnope', `RE${hex()}`);
    expect(call.response.status).toBe(400);
    expect(call.text).toContain('"field":"sid"');
    const recording = await play(`CA${hex()}`, '../../secrets');
    expect(recording.response.status).toBe(400);
    expect(recording.text).toContain('"field":"recordingSid"');
  });
});
