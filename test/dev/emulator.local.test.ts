import { afterEach, describe, expect, it } from 'vitest';
import { startLocalTwilio, type LocalTwilio } from '../../dev/emulator/local';
import { localAccount } from '../../dev/emulator/interpreter/twilioApi';
import { startTwimlApp, twiml } from './emulatorTwimlApp';

let local: LocalTwilio | undefined;
afterEach(async () => {
  await local?.emulator.stop();
  local = undefined;
});

describe("npm start's emulator", () => {
  it("points its number at the app through the REST API, so a ring starts from the number's voice URL", async () => {
    local = await startLocalTwilio(localAccount(), '+15550100000', () => {});
    const app = await startTwimlApp(local.authToken, {
      '/api/twilio/voice': () => twiml('<Say>Hi</Say>'),
      '/api/twilio/status': () => '',
    });
    try {
      const webhooks = await local.pointNumberAt(app.url);
      expect(webhooks).toMatchObject({
        voiceUrl: `${app.url}/api/twilio/voice`,
        smsUrl: `${app.url}/api/twilio/sms`,
        statusCallback: `${app.url}/api/twilio/status`,
      });
      const authorization = `Basic ${Buffer.from(`${local.accountSid}:${local.authToken}`).toString('base64')}`;
      const response = await fetch(`${local.emulator.url}/_emulator/calls`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ From: '+15550100199', To: '+15550100000' }),
      });
      const body = (await response.json()) as { call: { sid: string } };
      expect(response.status, JSON.stringify(body)).toBe(201);
      const { call } = body;
      await local.emulator.waitForCall(call.sid);
      expect(app.on('/api/twilio/voice')[0]!.signatureValid).toBe(true);
      expect(app.on('/api/twilio/status').map((request) => request.params.CallStatus)).toEqual(['completed']);
    } finally {
      await app.close();
    }
  });

  it('posts nothing once stop() has begun (Ctrl-C stops the emulator before the app)', async () => {
    local = await startLocalTwilio(localAccount(), '+15550100000', () => {});
    // The app never answers, so every message waits on its "sent" callback when stop() comes.
    const app = await startTwimlApp(local.authToken, { '/status': () => 'hang' });
    try {
      const authorization = `Basic ${Buffer.from(`${local.accountSid}:${local.authToken}`).toString('base64')}`;
      const send = () =>
        fetch(`${local!.emulator.url}/2010-04-01/Accounts/${local!.accountSid}/Messages.json`, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            From: '+15550100000',
            To: '+15550100199',
            Body: 'hi',
            StatusCallback: `${app.url}/status`,
          }),
        });
      await Promise.all(Array.from({ length: 5 }, send));
      await expect.poll(() => app.received.length, { timeout: 10_000 }).toBe(5);
      await local.emulator.stop();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(app.received.map((request) => request.params.MessageStatus)).toEqual(Array(5).fill('sent'));
    } finally {
      await app.close();
    }
  });
});
