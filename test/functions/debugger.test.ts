import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalTwilio, type LocalTwilio } from '../../dev/emulator/local';
import { startAppHost } from '../support/appHost';
import { signedForm } from '../support/invoke';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, TEST_PHONE_NUMBER, useSettings } from '../support/settings';

/**
 * Twilio's debugger webhook through the real chain: the emulator meets an error (the TwiML URL
 * answers 500: 11200), posts the Console Debugger's event to POST /api/twilio/debugger, signed,
 * and the app logs it as an error and records it on the call.
 */
let twilio: LocalTwilio;
let app: Awaited<ReturnType<typeof startAppHost>>;
let failing: Server;
let failingUrl: string;
const hostLog: string[] = [];

beforeAll(async () => {
  twilio = await startLocalTwilio(
    { accountSid: TEST_ACCOUNT_SID, authToken: TEST_AUTH_TOKEN },
    TEST_PHONE_NUMBER,
    () => {},
  );
  useSettings({ TWILIO_API_BASE_URL: twilio.emulator.url });
  app = await startAppHost((level, name, message) => hostLog.push(`${level} ${name}: ${message}`));
  await twilio.pointNumberAt(app.url);
  failing = createServer((_, res) => res.writeHead(500, { 'content-type': 'text/plain' }).end('boom'));
  await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
  failingUrl = `http://127.0.0.1:${(failing.address() as AddressInfo).port}/voice`;
  const set = await fetch(`${twilio.emulator.url}/_emulator/debugger`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${TEST_ACCOUNT_SID}:${TEST_AUTH_TOKEN}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ Url: `${app.url}/api/twilio/debugger` }),
  });
  expect(set.status).toBe(200);
});
afterAll(async () => {
  await app?.close();
  await twilio?.emulator.stop();
  failing?.close();
});

interface CallRecord {
  errorCode?: number;
  events: Array<{ source: string; errorCode?: number; twilioError?: string }>;
}

async function recordOf(sid: string, until: (record: CallRecord) => boolean): Promise<CallRecord> {
  for (let attempt = 0; ; attempt++) {
    const record = (await (await fetch(`${app.url}/api/calls/${sid}`)).json()) as CallRecord;
    if (until(record) || attempt > 50) return record;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('POST /api/twilio/debugger', () => {
  it("an emulator 11200 (the call's TwiML URL answers 500) arrives signed, is logged as an error and is on the call's record", async () => {
    const placed = await fetch(`${app.url}/api/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: '+15550100123', url: failingUrl }),
    });
    expect(placed.status).toBe(201);
    const { sid } = (await placed.json()) as { sid: string };
    await twilio.emulator.waitForCall(sid, 20_000);
    // The event and the record's summary are two writes: wait until both are there.
    const record = await recordOf(
      sid,
      (r) => r.errorCode !== undefined && r.events.some((event) => event.source === 'debugger'),
    );
    expect(record.errorCode).toBe(11200);
    expect(record.events.find((event) => event.source === 'debugger')).toMatchObject({
      errorCode: 11200,
      twilioError: expect.stringContaining(`${failingUrl} answered 500`),
    });
    const logged = hostLog.filter((line) => line.includes('Twilio reported error 11200'));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/^error twilioDebugger: /);
    expect(JSON.parse(/(\{.*\})$/.exec(logged[0]!)![1]!)).toMatchObject({ callSid: sid, twilioErrorCode: '11200' });
  });

  it('refuses an unsigned event (403) and a Payload that is not JSON (400 naming it)', async () => {
    const url = `${app.url}/api/twilio/debugger`;
    const unsigned = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Sid=NO1&Payload=%7B%7D',
    });
    expect(unsigned.status).toBe(403);
    const bad = await fetch(url, {
      method: 'POST',
      ...signedForm(url, { Sid: 'NO1', Level: 'Error', Payload: 'not json' }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ problems: [{ field: 'Payload' }] });
  });
});
