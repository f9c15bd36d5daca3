/**
 * `npm run simulate -- fake-crm` and the walkthrough of flows/examples/crm-lookup.json that
 * docs/flows.md shows: the fake CRM, the app on the local host started with the copy of the
 * example it writes, and `simulate call` for each kind of caller, the failing CRMs included.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../dev/emulator/index';
import { runSimulate } from '../../dev/simulate/command';
import { CRM_EXAMPLE, CRM_FLOW_COPY, startFakeCrm, type FakeCrm } from '../../dev/simulate/fakeCrm';
import { ROOT, startAppHost } from '../support/appHost';
import { captureIo } from '../support/cliIo';
import { startTestEmulator } from '../support/emulator';
import { useSettings } from '../support/settings';

let app: Awaited<ReturnType<typeof startAppHost>>;
let emulator: Emulator;
let crm: FakeCrm;
let root: string;
const crmLog: string[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'fake-crm-'));
  cpSync(join(ROOT, CRM_EXAMPLE), join(root, CRM_EXAMPLE));
  crm = await startFakeCrm(root, 0, (line) => crmLog.push(line));
  emulator = await startTestEmulator();
  useSettings({ TWILIO_API_BASE_URL: emulator.url, PHONE_FLOWS: crm.flowFile, CRM_TOKEN: 'local-crm-token' });
  app = await startAppHost();
});
afterAll(async () => {
  await app.close();
  await emulator.stop();
  await crm.close();
  rmSync(root, { recursive: true, force: true });
});

async function call(from: string, ...rest: string[]) {
  const run = captureIo(root);
  const started = Date.now();
  expect(await runSimulate(['call', '--url', app.url, '--from', from, ...rest], run.io)).toBe(0);
  const text = run.stdout();
  return { text, path: /\nPath\s+(.*)\n/.exec(text)?.[1] ?? '', ms: Date.now() - started };
}

describe('simulate fake-crm: flows/examples/crm-lookup.json under the local host', () => {
  it('writes the example pointed at the fake, and nothing else changed', () => {
    const copy = readFileSync(join(root, CRM_FLOW_COPY), 'utf8');
    expect(copy).toBe(readFileSync(join(ROOT, CRM_EXAMPLE), 'utf8').split('https://crm.example.com').join(crm.url));
    expect(crm.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('a VIP is greeted by name and put through to their manager; the CRM got the token', async () => {
    const { text, path } = await call('+15550100302');
    expect(text).toMatch(/Say\s+Welcome back, Ada\./);
    expect(path).toMatch(/^lookup · http crm: ok 200 in \d+ ms → known · .* alice · dial \+15550100011 completed$/);
    expect(crmLog.at(-1)).toBe('GET /customers?phone=+15550100302, with a token: VIP Ada, put through to Alice');
  });

  it('a known customer is greeted, then gets the menu; an unknown caller gets the menu', async () => {
    expect((await call('+15550100301', '--digits', '1')).path).toMatch(/known · .*: menu · pressed 1 · sales/);
    expect((await call('+15550100399', '--digits', '2')).path).toMatch(
      /^lookup · http crm: failed 404 .*→ menu · pressed 2 · support/,
    );
  });

  it('the CRM down (dropping the connection, or answering 500): the caller reaches the menu', async () => {
    expect((await call('+15550100304', '--digits', '1')).path).toMatch(
      /^lookup · http crm: failed \(could not connect.*→ menu · pressed 1 · sales/,
    );
    expect((await call('+15550100306', '--digits', '2')).path).toMatch(/^lookup · http crm: failed 500 .*→ menu/);
  });

  it('the CRM hanging 30 s: the caller is answered within 10 s, at the menu', async () => {
    const { path, ms } = await call('+15550100305', '--digits', '2');
    expect(path).toMatch(/^lookup · http crm: failed \(no answer within the deadline\) in 3\d{3} ms → menu/);
    expect(ms).toBeLessThan(10_000);
  }, 20_000);
});
