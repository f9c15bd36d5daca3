import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Io } from '../../dev/cli/output';
import { writeDevSession } from '../../dev/cli/settings';
import { startEmulator, type Emulator } from '../../dev/emulator/index';
import { runWebhooks } from '../../dev/webhooks/command';

const accountSid = `AC${randomBytes(16).toString('hex')}`;
const authToken = randomBytes(16).toString('hex');
const NUMBER = '+15550100000';
const BASE = 'https://myapp.azurewebsites.net';

let emulator: Emulator;
let root: string;

beforeAll(async () => {
  emulator = await startEmulator({ accountSid, authToken, phoneNumbers: [NUMBER, '+15550100001'] });
});
afterAll(() => emulator.stop());
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'webhooks-'));
  for (const number of emulator.phoneNumbers.values())
    Object.assign(number, { voiceUrl: '', smsUrl: '', statusCallback: '' });
  return () => rmSync(root, { recursive: true, force: true });
});

function capture(env: Record<string, string | undefined>, tty = false) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    stdout: { write: (chunk: string) => out.push(chunk), isTTY: tty },
    stderr: { write: (chunk: string) => err.push(chunk), isTTY: tty },
    env,
    root,
  };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}

const credentials = () => ({
  TWILIO_ACCOUNT_SID: accountSid,
  TWILIO_AUTH_TOKEN: authToken,
  TWILIO_API_BASE_URL: emulator.url,
});
/** What `npm start` leaves for the CLI: the emulator's credentials and number, the app on its default port. */
const writeLocalSession = () =>
  writeDevSession(root, {
    accountSid,
    authToken,
    phoneNumber: NUMBER,
    emulatorUrl: emulator.url,
    appUrl: 'http://localhost:7071',
  });
const numberOnEmulator = () => [...emulator.phoneNumbers.values()].find((number) => number.phoneNumber === NUMBER)!;

describe('npm run webhooks', () => {
  it('points the number at the functions and prints before and after', async () => {
    const run = capture(credentials());
    expect(await runWebhooks(['--number', NUMBER, '--base-url', BASE, '--retry', '3'], run.io)).toBe(0);
    expect(numberOnEmulator()).toMatchObject({
      voiceUrl: `${BASE}/api/twilio/voice#rc=3&rp=ct,rt,5xx`,
      voiceMethod: 'POST',
      smsUrl: `${BASE}/api/twilio/sms#rc=3&rp=ct,rt,5xx`,
      smsMethod: 'POST',
      statusCallback: `${BASE}/api/twilio/status#rc=3&rp=ct,rt,5xx`,
      statusCallbackMethod: 'POST',
    });
    const lines = run.stdout().split('\n');
    expect(run.stdout()).toContain(`emulator at ${emulator.url}`);
    expect(lines.find((line) => line.trim().startsWith('webhook'))).toMatch(/webhook\s+before\s+after/);
    expect(lines.find((line) => line.trim().startsWith('Voice'))).toMatch(
      new RegExp(`Voice\\s+\\(not set\\)\\s+POST ${BASE}/api/twilio/voice#rc=3&rp=ct,rt,5xx`),
    );
    expect(lines.find((line) => line.trim().startsWith('Status callback'))).toContain(
      `POST ${BASE}/api/twilio/status#rc=3&rp=ct,rt,5xx`,
    );
    expect(run.stdout()).toContain('Updated.');
    expect(run.stdout()).not.toContain('\u001b[');
    expect(run.stdout() + run.stderr()).not.toContain(authToken);

    const again = capture(credentials());
    expect(await runWebhooks(['--number', NUMBER, '--base-url', BASE, '--retry', '3'], again.io)).toBe(0);
    expect(again.stdout()).toContain('nothing to change');
  });

  it('changes nothing in a dry run, and says what it would set', async () => {
    const run = capture(credentials());
    expect(await runWebhooks(['--number', NUMBER, '--base-url', 'http://localhost:7071', '--dry-run'], run.io)).toBe(0);
    expect(numberOnEmulator()).toMatchObject({ voiceUrl: '', smsUrl: '', statusCallback: '' });
    expect(run.stdout()).toContain('after (dry run)');
    expect(run.stdout()).toContain('POST http://localhost:7071/api/twilio/voice');
    expect(run.stdout()).toContain('Dry run: nothing was changed.');
  });

  it('prints one JSON document with --json', async () => {
    const run = capture(credentials());
    expect(await runWebhooks(['--number', NUMBER, '--base-url', BASE, '--json'], run.io)).toBe(0);
    const document = JSON.parse(run.stdout()) as Record<string, unknown>;
    expect(document).toMatchObject({
      phoneNumber: NUMBER,
      sid: numberOnEmulator().sid,
      changed: true,
      dryRun: false,
      debuggerWebhook: { url: `${BASE}/api/twilio/debugger`, set: true },
      before: { voiceUrl: '' },
      after: {
        voiceUrl: `${BASE}/api/twilio/voice`,
        smsUrl: `${BASE}/api/twilio/sms`,
        statusCallback: `${BASE}/api/twilio/status`,
      },
    });
  });

  it('says clearly when the number is not on the account', async () => {
    const run = capture(credentials());
    expect(await runWebhooks(['--number', '+15550109999', '--base-url', BASE], run.io)).toBe(1);
    expect(run.stderr()).toContain(
      '+15550109999 is not a number of this Twilio account. The account has +15550100000, +15550100001.',
    );
  });

  it('says clearly when Twilio refuses the credentials', async () => {
    const run = capture({ ...credentials(), TWILIO_AUTH_TOKEN: 'wrong-token' });
    expect(await runWebhooks(['--number', NUMBER, '--base-url', BASE], run.io)).toBe(1);
    expect(run.stderr()).toContain(
      'Twilio refused the credentials (20003 Authenticate): check TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN',
    );
    expect(numberOnEmulator().voiceUrl).toBe('');
  });

  it('refuses a base URL that is not https (localhost aside), or not an origin, before calling Twilio', async () => {
    const http = capture(credentials());
    expect(await runWebhooks(['--number', NUMBER, '--base-url', 'http://myapp.azurewebsites.net'], http.io)).toBe(2);
    expect(http.stderr()).toContain('--base-url must use https (http is allowed for localhost only)');

    const path = capture(credentials());
    expect(await runWebhooks(['--number', NUMBER, '--base-url', `${BASE}/api`], path.io)).toBe(2);
    expect(path.stderr()).toContain('must be an origin only');

    const retry = capture(credentials());
    expect(await runWebhooks(['--number', NUMBER, '--base-url', BASE, '--retry', '9'], retry.io)).toBe(2);
    expect(retry.stderr()).toContain('--retry must be a whole number from 0 to 5');
  });

  it('reads credentials from local.settings.json, then from the npm start session', async () => {
    const none = capture({});
    expect(await runWebhooks(['--number', NUMBER, '--base-url', BASE, '--dry-run'], none.io)).toBe(1);
    expect(none.stderr()).toContain('No Twilio credentials: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set');

    writeLocalSession();
    const session = capture({});
    expect(await runWebhooks(['--number', NUMBER, '--base-url', BASE, '--dry-run'], session.io)).toBe(0);
    expect(session.stdout()).toContain('(npm start session)');

    mkdirSync(root, { recursive: true });
    writeFileSync(
      join(root, 'local.settings.json'),
      JSON.stringify({ Values: { ...credentials(), TWILIO_AUTH_TOKEN: 'stale-token' } }),
    );
    const local = capture({});
    expect(await runWebhooks(['--number', NUMBER, '--base-url', BASE, '--dry-run'], local.io)).toBe(1);
    expect(local.stderr()).toContain('20003');

    const envWins = capture({ TWILIO_AUTH_TOKEN: authToken });
    expect(await runWebhooks(['--number', NUMBER, '--base-url', BASE, '--dry-run'], envWins.io)).toBe(0);
    expect(envWins.stdout()).toContain('(environment / local.settings.json)');
  });

  it('locally, takes the number and the app URL from the npm start session, so --dry-run alone works', async () => {
    writeLocalSession();
    const run = capture({});
    expect(await runWebhooks(['--dry-run'], run.io), run.stderr()).toBe(0);
    expect(run.stdout()).toContain(`Number   ${NUMBER}`);
    expect(run.stdout()).toContain('POST http://localhost:7071/api/twilio/voice');

    const given = capture({});
    expect(await runWebhooks(['--base-url', BASE, '--dry-run'], given.io)).toBe(0);
    expect(given.stdout()).toContain(`POST ${BASE}/api/twilio/sms`);
  });

  it('asks for --number and --base-url, naming the session, when nothing provides them', async () => {
    const run = capture(credentials());
    expect(await runWebhooks(['--dry-run'], run.io)).toBe(2);
    expect(run.stderr()).toContain('--number is required');
    expect(run.stderr()).toContain('.local/dev-session-<port>.json');
    const noBase = capture({ ...credentials(), TWILIO_PHONE_NUMBER: NUMBER });
    expect(await runWebhooks(['--dry-run'], noBase.io)).toBe(2);
    expect(noBase.stderr()).toContain('--base-url is required');
  });

  it('colours a terminal unless NO_COLOR is set', async () => {
    const tty = capture(credentials(), true);
    await runWebhooks(['--number', NUMBER, '--base-url', BASE, '--dry-run'], tty.io);
    expect(tty.stdout()).toContain('\u001b[');

    const noColor = capture({ ...credentials(), NO_COLOR: '1' }, true);
    await runWebhooks(['--number', NUMBER, '--base-url', BASE, '--dry-run'], noColor.io);
    expect(noColor.stdout()).not.toContain('\u001b[');
  });
});
