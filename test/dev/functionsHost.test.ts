import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { matchRoute } from '../../dev/functionsHost';
import { functionNameOf, functionSourceFiles, startAppHost } from '../support/appHost';
import { startFakeTwilio } from '../support/fakeTwilio';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, useSettings } from '../support/settings';

let app: Awaited<ReturnType<typeof startAppHost>>;
let fake: Awaited<ReturnType<typeof startFakeTwilio>>;
const logs: string[] = [];

beforeAll(async () => {
  fake = await startFakeTwilio(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN);
  app = await startAppHost((level, name, message) => logs.push(`${level} ${name} ${message}`));
});
afterAll(async () => {
  await app.close();
  await fake.close();
});
beforeEach(() => useSettings({ TWILIO_API_BASE_URL: fake.url, SMS_REPLY: 'Got it!' }));

describe('local Functions host', () => {
  it('serves every function file, each registering the function it is named after', () => {
    const files = functionSourceFiles().map(functionNameOf).sort();
    expect(app.functions.map((fn) => fn.name).sort()).toEqual(files);
    expect(files).toEqual(expect.arrayContaining(['health', 'makeCall', 'sendSms', 'smsWebhook', 'voiceWebhook']));
  });

  it('registers the routes, methods and auth levels of the design', () => {
    const table = Object.fromEntries(app.functions.map((fn) => [fn.name, `${fn.methods.join(',')} ${fn.route} ${fn.authLevel}`]));
    expect(table).toMatchObject({
      makeCall: 'POST calls function',
      sendSms: 'POST messages function',
      voiceWebhook: 'POST twilio/voice anonymous',
      smsWebhook: 'POST twilio/sms anonymous',
      health: 'GET health anonymous',
    });
    for (const fn of app.functions.filter((f) => f.route.startsWith('twilio/'))) expect(fn.authLevel).toBe('anonymous');
  });

  it('answers a signed inbound SMS over HTTP with the configured reply as text/xml', async () => {
    const url = `${app.url}/api/twilio/sms`;
    const fields = { MessageSid: 'SM0123456789abcdef0123456789abcdef', From: '+15550001111', To: '+15005550006', Body: 'hi' };
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': getExpectedTwilioSignature(TEST_AUTH_TOKEN, url, fields) },
      body: new URLSearchParams(fields),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/xml; charset=utf-8');
    expect(await response.text()).toContain('<Message>Got it!</Message>');
  });

  it('refuses an unsigned one with 403 and logs the URL it checked', async () => {
    const response = await fetch(`${app.url}/api/twilio/sms`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Body=hi',
    });
    expect(response.status).toBe(403);
    expect(logs.some((line) => line.startsWith('warning smsWebhook') && line.includes(`${app.url}/api/twilio/sms`))).toBe(true);
  });

  it('places a call through the fake Twilio and answers 201 with its SID', async () => {
    const response = await fetch(`${app.url}/api/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: '+15550002222' }),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as { sid: string };
    expect(fake.received.at(-1)?.form.Url).toEqual([`${app.url}/api/twilio/voice`]);
    expect(body.sid).toMatch(/^CA[0-9a-f]{32}$/);
  });

  it('reports health without secrets', async () => {
    const response = await fetch(`${app.url}/api/health`);
    const text = await response.text();
    expect(response.status, text).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ status: 'ok', version: expect.any(String), twilio: { endpoint: fake.url, emulator: true } });
    expect(text).not.toContain(TEST_AUTH_TOKEN);
    expect(text).not.toContain(TEST_ACCOUNT_SID);
  });

  it('answers 404 for an unknown route or a method the function does not take', async () => {
    expect((await fetch(`${app.url}/api/nothing`)).status).toBe(404);
    expect((await fetch(`${app.url}/api/twilio/sms`)).status).toBe(404);
    expect((await fetch(`${app.url}/calls`, { method: 'POST' })).status).toBe(404);
  });

  it('answers a 2 MB body with 413, not a crash', async () => {
    const response = await fetch(`${app.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: '+15550002222', body: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(response.status).toBe(413);
  });
});

describe('route templates', () => {
  it.each([
    ['calls', '/calls', {}],
    ['calls', '/CALLS/', {}],
    ['calls/{sid}', '/calls/CA123', { sid: 'CA123' }],
    ['calls/{sid:regex(^CA)}', '/calls/CA1', { sid: 'CA1' }],
    ['calls/{sid?}', '/calls', {}],
  ])('%s matches %s', (template, path, params) => {
    expect(matchRoute(template, path)).toEqual(params);
  });

  it.each([
    ['calls', '/calls/x'],
    ['calls/{sid}', '/calls'],
    ['calls/{sid}', '/messages/SM1'],
  ])('%s does not match %s', (template, path) => {
    expect(matchRoute(template, path)).toBeUndefined();
  });
});
