import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Io } from '../../dev/cli/output';
import { runEmulator } from '../../dev/emulator/cli';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** Runs `npm run emulator` in-process until it has printed its address; answers its output and a way to stop it. */
async function start(argv: string[], env: Record<string, string | undefined>) {
  const root = mkdtempSync(join(tmpdir(), 'emulator-cli-'));
  roots.push(root);
  const out: string[] = [];
  const stop = new AbortController();
  let printed: () => void = () => {};
  const started = new Promise<void>((resolve) => (printed = resolve));
  const io: Io = {
    stdout: {
      write: (chunk: string) => {
        out.push(chunk);
        if (chunk.includes('Twilio emulator on')) printed();
      },
    },
    stderr: { write: (chunk: string) => out.push(chunk) },
    env,
    root,
  };
  const exited = runEmulator(argv, io, stop.signal);
  await Promise.race([started, exited]);
  const url = /Twilio emulator on (http:\/\/\S+)/.exec(out.join(''))?.[1];
  return { url, output: () => out.join(''), stop: () => (stop.abort(), exited) };
}

describe('npm run emulator', () => {
  it('serves with the configured account, never printing its token', async () => {
    const accountSid = `AC${randomBytes(16).toString('hex')}`;
    const authToken = randomBytes(16).toString('hex');
    const emulator = await start(['--port', '0', '--quiet'], {
      TWILIO_ACCOUNT_SID: accountSid,
      TWILIO_AUTH_TOKEN: authToken,
      TWILIO_PHONE_NUMBER: '+15550100000',
    });
    try {
      expect(emulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const response = await fetch(
        `${emulator.url}/2010-04-01/Accounts/${accountSid}/IncomingPhoneNumbers.json?PhoneNumber=%2B15550100000`,
        {
          headers: { authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}` },
        },
      );
      expect(response.status).toBe(200);
      const page = (await response.json()) as { incoming_phone_numbers: Array<{ phone_number: string }> };
      expect(page.incoming_phone_numbers.map((number) => number.phone_number)).toEqual(['+15550100000']);
    } finally {
      expect(await emulator.stop()).toBe(0);
    }
    expect(emulator.output()).not.toContain(authToken);
  });

  it('makes up local credentials when none are configured, and says how to use them', async () => {
    const emulator = await start(['--port', '0'], {});
    try {
      expect(emulator.output()).toContain('(made up for this run)');
      expect(emulator.output()).toMatch(/TWILIO_ACCOUNT_SID=AC[0-9a-f]{32} TWILIO_AUTH_TOKEN=[0-9a-f]{32}/);
      expect(emulator.output()).toContain(`TWILIO_API_BASE_URL=${emulator.url}`);
    } finally {
      await emulator.stop();
    }
  });

  it('rejects a bad option with the usage', async () => {
    const emulator = await start(['--dial-outcome', 'maybe'], {});
    expect(await emulator.stop()).toBe(2);
    expect(emulator.output()).toContain('--dial-outcome must be one of');
    expect(emulator.output()).toContain('Usage: npm run emulator');
  });
});
