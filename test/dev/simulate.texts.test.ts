/**
 * `simulate call` and `simulate sms` show the texts the app sends on its own (issue 19, item 5):
 * a call's sms action, the voicemail notice and its transcription to the owner, a forward. The
 * app runs on the local host with its queue function, against an Azurite of this file's own (a
 * queue host takes every message of its queue) and the emulator; simulate reads the texts back
 * from the app's records, as it does against npm start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../dev/azurite';
import type { Emulator } from '../../dev/emulator/index';
import { runSimulate } from '../../dev/simulate/command';
import { ROOT, startAppHost, type AppHostWithQueues } from '../support/appHost';
import { captureIo } from '../support/cliIo';
import { startTestEmulator } from '../support/emulator';
import { useSettings } from '../support/settings';

let app: AppHostWithQueues;
let emulator: Emulator;
let azurite: RunningAzurite;
let root: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'simulate-texts-'));
  emulator = await startTestEmulator();
  azurite = await startAzurite({ services: 'app' });
  useSettings({ TWILIO_API_BASE_URL: emulator.url, AzureWebJobsStorage: azurite.connectionString });
  app = await startAppHost(undefined, { queues: { maxPollingIntervalMs: 100, visibilityTimeoutSeconds: 1 } });
});
afterAll(async () => {
  await app.close();
  await emulator.stop();
  await azurite.stop();
  rmSync(root, { recursive: true, force: true });
});

const withFlow = (file: string) =>
  useSettings({
    TWILIO_API_BASE_URL: emulator.url,
    AzureWebJobsStorage: azurite.connectionString,
    PHONE_FLOWS: resolve(ROOT, file),
  });
beforeEach(() => withFlow('flows.json'));

const capture = () => captureIo(root, { TWILIO_API_BASE_URL: emulator.url });

describe('simulate shows the texts the app sends on its own', () => {
  it('call: the voicemail notice and transcription to the owner, and the thank-you text, each with its body', async () => {
    withFlow('flows/examples/voicemail.json');
    const run = capture();
    const args = ['call', '--url', app.url, '--dial-outcome', 'no-answer', '--input', '#'];
    expect(await runSimulate(args, run.io)).toBe(0);
    const out = run.stdout();
    expect(out).toMatch(/\nPath\s+forward · .*\n/);
    expect(out).toMatch(
      /\nText\s+\+15005550006 → \+15550100199\s+Thanks for calling\. We got your voicemail and will call you back soon\./,
    );
    expect(out).toMatch(/\nVoicemail\s+\+15005550006 → \+15550100000\s+Voicemail from \+15550100199, \d+ s: http/);
    expect(out).toMatch(
      /\nTranscript\s+\+15005550006 → \+15550100000\s+Transcription of the voicemail from \+15550100199: /,
    );
    // After the path, never before it: they are what the app did, once the call was answered.
    expect(out.indexOf('\nPath')).toBeLessThan(out.indexOf('\nVoicemail'));
  });

  it('sms: a forward is labelled Forward, not Reply, and the reply stays a Reply', async () => {
    withFlow('flows/examples/sms-keywords.json');
    const run = capture();
    const args = ['sms', '--url', app.url, '--from', '+15550001111', '--body', 'AGENT my order is late'];
    expect(await runSimulate(args, run.io)).toBe(0);
    const out = run.stdout();
    expect(out).toMatch(/\nReply\s+\+15005550006 → \+15550001111\s+Thanks, a person will text you back shortly\./);
    expect(out).toMatch(/\nForward\s+\+15005550006 → \+15550100000\s+Text from \+15550001111: AGENT my order is late/);
    expect(out).not.toMatch(/\nReply\s+\+15005550006 → \+15550100000/);
  });

  it('prints nothing more for a call or text that made the app send nothing', async () => {
    const run = capture();
    expect(await runSimulate(['sms', '--url', app.url, '--body', 'hi'], run.io)).toBe(0);
    expect(run.stdout()).not.toMatch(/\n(Text|Forward|Voicemail|Transcript|Queued)\s/);
  });
});
