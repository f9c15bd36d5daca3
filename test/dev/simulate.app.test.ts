import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../dev/emulator/index';
import { runSimulate } from '../../dev/simulate/command';
import { startAppHost } from '../support/appHost';
import { captureIo } from '../support/cliIo';
import { startTestEmulator } from '../support/emulator';
import { TEST_PHONE_NUMBER, useSettings } from '../support/settings';

let app: Awaited<ReturnType<typeof startAppHost>>;
let emulator: Emulator;
let root: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'simulate-app-'));
  emulator = await startTestEmulator();
  useSettings({
    TWILIO_API_BASE_URL: emulator.url,
    VOICE_GREETING: 'Hello from the functions!',
    SMS_REPLY: 'Got it, thanks!',
  });
  app = await startAppHost();
});
afterAll(async () => {
  await app.close();
  await emulator.stop();
  rmSync(root, { recursive: true, force: true });
});

const capture = () => captureIo(root, { TWILIO_API_BASE_URL: emulator.url });

describe('simulate against the functions on the local host', () => {
  it('sms: the app checks the signature and replies with SMS_REPLY', async () => {
    const run = capture();
    expect(await runSimulate(['sms', '--url', app.url, '--from', '+15550001111', '--body', 'hi'], run.io)).toBe(0);
    expect(run.stdout()).toMatch(/Reply\s+\+15005550006 → \+15550001111\s+Got it, thanks!/);
    expect(run.stdout()).toMatch(/\nRule\s+default\n/);
  });

  it('call: the caller hears VOICE_GREETING', async () => {
    const run = capture();
    expect(await runSimulate(['call', '--url', app.url, '--from', '+15550001111'], run.io)).toBe(0);
    expect(run.stdout()).toMatch(/\n {2}Say\s+Hello from the functions!\n/);
    expect(run.stdout()).toMatch(/\nPath\s+greeting\n/);
  });

  it('place-call: makeCall goes through the real SDK to the emulator, which calls the voice webhook back', async () => {
    const run = capture();
    expect(await runSimulate(['place-call', '--url', app.url, '--to', '+15550002222'], run.io), run.stderr()).toBe(0);
    expect(run.stdout()).toMatch(/\n {2}Say\s+Hello from the functions!\n/);
    expect(run.stdout()).toMatch(/\nTwilio\s+completed/);
    expect(run.stdout()).toMatch(/\nRecords\s+completed/);
    const [call] = emulator.calls.values();
    expect(call!.error).toBeUndefined();
    expect(
      emulator.requests
        .filter((request) => request.url.endsWith('/api/twilio/voice'))
        .every((request) => request.status === 200),
    ).toBe(true);
    expect(call!.callbacks.map((callback) => callback.status)).toEqual([204, 204, 204, 204]);
  });
});

/** GET the app's record until it has the status, or give up after a few seconds. */
async function recordWhen(path: string, status: string) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const record = (await (await fetch(`${app.url}${path}`)).json()) as {
      status: string;
      events: Array<{ status: string; source: string }>;
    };
    if (record.status === status || Date.now() > deadline) return record;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('end to end: the app, the real SDK and the emulator over HTTP', () => {
  it('a call placed through POST /api/calls is answered by the voice webhook and recorded through to completed', async () => {
    const response = await fetch(`${app.url}/api/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: '+15550003333' }),
    });
    expect(response.status).toBe(201);
    const { sid } = (await response.json()) as { sid: string };
    const record = await recordWhen(`/api/calls/${sid}`, 'completed');
    expect(record).toMatchObject({
      sid,
      direction: 'outbound',
      to: '+15550003333',
      from: TEST_PHONE_NUMBER,
      status: 'completed',
    });
    const lines = record.events.map((event) => `${event.source} ${event.status}`);
    // Events are in the order they were recorded; the answered callback and the voice webhook are sent together, so either may be first.
    expect([...lines.slice(0, 3), ...lines.slice(3, 5).sort(), ...lines.slice(5)]).toEqual([
      'api queued',
      'status-callback initiated',
      'status-callback ringing',
      'status-callback in-progress',
      'voice-webhook in-progress',
      'status-callback completed',
    ]);
  });

  it('a text sent through POST /api/messages is recorded through to delivered', async () => {
    const response = await fetch(`${app.url}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: '+15550003333', body: 'Hi' }),
    });
    expect(response.status).toBe(201);
    const { sid } = (await response.json()) as { sid: string };
    const record = await recordWhen(`/api/messages/${sid}`, 'delivered');
    expect(record).toMatchObject({ sid, direction: 'outbound', body: 'Hi', status: 'delivered' });
    expect(record.events.map((event) => `${event.source} ${event.status}`)).toEqual([
      'api queued',
      'status-callback sent',
      'status-callback delivered',
    ]);
  });
});
