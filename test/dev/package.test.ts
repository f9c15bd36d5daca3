import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { unzipSync } from 'fflate';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  functionFiles,
  loadFunctions,
  registeredTriggers,
  routePrefix,
  startHost,
  type HttpFunction,
  type RunningHost,
} from '../../dev/functionsHost';
import { buildPackage, type Package } from '../../dev/package';
import { functionNameOf, functionSourceFiles, ROOT } from '../support/appHost';
import { TEST_AUTH_TOKEN, useSettings } from '../support/settings';

const MiB = 1024 * 1024;

let artifacts: string;
let built: Package;
let host: RunningHost;
let functions: HttpFunction[];

beforeAll(async () => {
  artifacts = mkdtempSync(join(tmpdir(), 'package-test-'));
  built = await buildPackage(artifacts);
  // As in Azure, where the Functions host names the app root (the package) in AzureWebJobsScriptRoot.
  // The bundle keeps the settings it reads first: these are the settings of every test here.
  useSettings({ AzureWebJobsScriptRoot: built.appDir, PHONE_FLOWS: 'flows/examples/ivr.json' });
  functions = await loadFunctions(functionFiles(built.appDir));
  host = await startHost({ functions, prefix: routePrefix(built.appDir), log: () => {} });
}, 120_000);
afterAll(async () => {
  await host?.close();
  rmSync(artifacts, { recursive: true, force: true });
});

describe('npm run package', () => {
  it('holds the bundle, its source maps and the two manifests, and no node_modules', () => {
    for (const file of built.files)
      expect(file).toMatch(
        /^(host\.json|package\.json|flows\.json|flows\/examples\/[\w-]+\.json|[\w-]+\.mjs(\.map)?)$/,
      );
    expect(built.files).toEqual(
      expect.arrayContaining([
        'host.json',
        'package.json',
        'main.mjs',
        'main.mjs.map',
        'flows.json',
        'flows/examples/ivr.json',
      ]),
    );
  });

  it('names the bundle as the entry point and depends on nothing at run time', () => {
    const manifest = JSON.parse(readFileSync(join(built.appDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.main).toBe('main.mjs');
    expect(manifest).not.toHaveProperty('dependencies');
    expect(manifest).not.toHaveProperty('devDependencies');
    expect(readFileSync(join(built.appDir, 'host.json'), 'utf8')).toBe(readFileSync(join(ROOT, 'host.json'), 'utf8'));
  });

  it('maps the bundle back to the TypeScript sources for stack traces', () => {
    const map = JSON.parse(readFileSync(join(built.appDir, 'main.mjs.map'), 'utf8')) as { sources: string[] };
    expect(map.sources).toEqual(expect.arrayContaining(['functions/smsWebhook.ts', 'lib/records/store.ts']));
    // Named from the project root; a URL (webpack:// in a dependency's own map) is left alone.
    for (const source of map.sources.filter((name) => !/^[a-z][\w+.-]*:/i.test(name)))
      expect(existsSync(join(ROOT, source)), source).toBe(true);
    expect(readFileSync(join(built.appDir, 'main.mjs'), 'utf8')).toMatch(/\/\/# sourceMappingURL=main\.mjs\.map\s*$/);
  });

  it('maps a stack trace in the bundle to the TypeScript line, named from the project root', async () => {
    const sms = functions.find((fn) => fn.name === 'smsWebhook')!;
    // With no context to log to, the error handler itself throws, inside the bundle.
    const error = await Promise.resolve(sms.handler(null as never, undefined as never)).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).stack).toMatch(/\/lib\/http\/handle\.ts:\d+:\d+/);
  });

  it('zips exactly the folder, well under 5 MB', () => {
    const zip = readFileSync(built.zip);
    expect(zip.length).toBeLessThan(5 * MiB);
    const entries = unzipSync(zip);
    expect(Object.keys(entries).sort()).toEqual(built.files);
    for (const file of built.files)
      expect(Buffer.from(entries[file]!).equals(readFileSync(join(built.appDir, file)))).toBe(true);
    expect(statSync(built.zip).size).toBe(zip.length);
  });
});

describe('the package, served by the local host', () => {
  it('registers the function of every function file in the repository', async () => {
    const { queues, timers } = registeredTriggers();
    expect([...functions, ...queues, ...timers].map((fn) => fn.name).sort()).toEqual(
      functionSourceFiles().map(functionNameOf).sort(),
    );
    expect((await fetch(`${host.url}/api/health`)).status).toBe(200);
  });

  it('answers a signed inbound SMS and records it', async () => {
    const url = `${host.url}/api/twilio/sms`;
    const sid = `SM${randomBytes(16).toString('hex')}`;
    const fields = { MessageSid: sid, From: '+15550001111', To: '+15005550006', Body: 'from the package' };
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': getExpectedTwilioSignature(TEST_AUTH_TOKEN, url, fields),
      },
      body: new URLSearchParams(fields),
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<Message>');
    const record = await fetch(`${host.url}/api/messages/${sid}`);
    expect(record.status).toBe(200);
    expect(await record.json()).toMatchObject({
      sid,
      direction: 'inbound',
      body: 'from the package',
      events: [{ status: 'received' }],
    });
  });

  it('runs the flow file PHONE_FLOWS names from the package itself', async () => {
    const url = `${host.url}/api/twilio/voice`;
    const fields = {
      CallSid: `CA${randomBytes(16).toString('hex')}`,
      From: '+15550001111',
      To: '+15005550006',
      CallStatus: 'ringing',
    };
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': getExpectedTwilioSignature(TEST_AUTH_TOKEN, url, fields),
      },
      body: new URLSearchParams(fields),
    });
    expect(await response.text()).toContain('<Play>https://demo.twilio.com/docs/classic.mp3</Play>');
    process.env.AzureWebJobsScriptRoot = join(artifacts, 'nowhere');
    try {
      const health = await fetch(`${host.url}/api/health`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({
        status: 'misconfigured',
        problems: [expect.stringMatching(/flows\/examples\/ivr\.json: \(the file\): does not exist$/)],
      });
    } finally {
      process.env.AzureWebJobsScriptRoot = built.appDir;
    }
  });
});
