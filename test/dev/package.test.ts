import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { unzipSync } from 'fflate';
import { postSigned } from '../support/signed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredTriggers, serveApp, type HttpFunction, type RunningHost } from '../../dev/functionsHost';
import { buildPackage, flowFilesToShip, PackageError, type Package } from '../../dev/package';
import { CHECKED_FLOWS, readFlowFile, type CheckedFlows } from '../../lib/flows/load';
import { functionNameOf, functionSourceFiles, ROOT } from '../support/appHost';
import { useSettings } from '../support/settings';

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
  ({ functions, ...host } = await serveApp(built.appDir, { log: () => {} }));
}, 120_000);
afterAll(async () => {
  await host?.close();
  rmSync(artifacts, { recursive: true, force: true });
});

describe('npm run package', () => {
  it('holds the bundle, its source maps, the manifests and the hooks, and no node_modules', () => {
    for (const file of built.files)
      expect(file).toMatch(
        /^(host\.json|package\.json|hooks\.json|flows\.json|flows\.checked\.json|flows\/examples\/[\w-]+\.json|(hooks\/)?[\w-]+\.[mc]js(\.map)?|dist\/console\/index\.html)$/,
      );
    expect(built.files).toEqual(
      expect.arrayContaining([
        'host.json',
        'package.json',
        'main.mjs',
        'main.mjs.map',
        'flows.json',
        'flows/examples/ivr.json',
        'dist/console/index.html',
      ]),
    );
  });

  it("keeps the console's server code in chunks of its own, loaded by its routes only", () => {
    const main = readFileSync(join(built.appDir, 'main.mjs.map'), 'utf8');
    expect(main).not.toMatch(/lib\/console\//);
    for (const name of ['page', 'recording', 'flowGraph'])
      expect(
        built.files.some((file) => new RegExp(`^${name}-\\w+\\.mjs$`).test(file)),
        name,
      ).toBe(true);
  });

  it('keeps text conversations out of main.mjs: only a flow with messaging.steps loads them, never a call', () => {
    const main = readFileSync(join(built.appDir, 'main.mjs.map'), 'utf8');
    for (const module of [
      'lib/flows/converse',
      'lib/flows/conversation.ts',
      'lib/flows/conversationApi',
      'lib/records/conversations',
    ])
      expect(main, module).not.toContain(module);
  });

  it('ships the flow file PHONE_FLOWS names (flows.json by default) and the examples, and says so', () => {
    const examples = built.files.filter((file) => file.startsWith('flows/examples/'));
    expect(examples.length).toBeGreaterThanOrEqual(5);
    expect(built.flows).toEqual(['flows.json', ...examples]);
    expect(
      built.files.filter((file) => file.endsWith('.json') && !/^(host|package|hooks|flows\.checked)\.json$/.test(file)),
    ).toEqual(built.flows);
  });

  it('ships each flow file checked, with its hash and what it reads, which is what a full check reads', () => {
    const checked = JSON.parse(readFileSync(join(built.appDir, CHECKED_FLOWS), 'utf8')) as CheckedFlows;
    expect(Object.keys(checked)).toEqual(built.flows);
    for (const name of built.flows) {
      const fresh = mkdtempSync(join(tmpdir(), 'unpackaged-'));
      cpSync(join(built.appDir, 'hooks.json'), join(fresh, 'hooks.json'));
      cpSync(join(built.appDir, name), join(fresh, 'flows.json'));
      expect(checked[name]!.flows, name).toEqual(readFlowFile(join(fresh, 'flows.json'), name, fresh));
    }
  });

  it('names the bundle as the entry point and depends on nothing at run time', () => {
    const manifest = JSON.parse(readFileSync(join(built.appDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.main).toBe('main.mjs');
    expect(manifest).not.toHaveProperty('dependencies');
    expect(manifest).not.toHaveProperty('devDependencies');
    expect(readFileSync(join(built.appDir, 'host.json'), 'utf8')).toBe(readFileSync(join(ROOT, 'host.json'), 'utf8'));
  });

  it('keeps re2js out of main.mjs, which every cold start compiles, in a file of its own that its lazy require loads', () => {
    const map = JSON.parse(readFileSync(join(built.appDir, 'main.mjs.map'), 'utf8')) as { sources: string[] };
    expect(map.sources.filter((source) => source.includes('node_modules/re2js/'))).toEqual([]);
    const fromMain = createRequire(join(built.appDir, 'main.mjs'));
    const { RE2JS } = fromMain('./re2js.cjs') as typeof import('re2js');
    expect(RE2JS.compile('^menus?$').matcher('menu').find()).toBe(true);
  });

  it('ships each hook as a module of its own, listed in hooks.json, and keeps liquidjs out of main.mjs', async () => {
    expect(JSON.parse(readFileSync(join(built.appDir, 'hooks.json'), 'utf8'))).toEqual(['orderStatus']);
    const hook = (await import(join(built.appDir, 'hooks', 'orderStatus.mjs'))) as {
      default: (input: { trigger: Record<string, string> }) => unknown;
    };
    expect(hook.default({ trigger: { Body: 'ORDER 1234' } })).toMatchObject({ next: 'known' });
    const map = JSON.parse(readFileSync(join(built.appDir, 'main.mjs.map'), 'utf8')) as { sources: string[] };
    expect(map.sources.filter((source) => /node_modules\/liquidjs\/|^hooks\//.test(source))).toEqual([]);
    expect(existsSync(join(built.appDir, 'liquidjs.cjs'))).toBe(true);
  });

  it('keeps what only some requests use out of every module a cold start loads', () => {
    const sources = coldStartModules(built.appDir).flatMap(
      (file) => (JSON.parse(readFileSync(join(built.appDir, `${file}.map`), 'utf8')) as { sources: string[] }).sources,
    );
    expect(sources).toEqual(expect.arrayContaining(['functions/smsWebhook.ts', 'lib/flows/messaging.ts']));
    const packages = ['re2js', 'liquidjs', '@azure/data-tables', '@azure/identity', 'twilio/lib/rest'];
    for (const name of packages)
      expect(
        sources.filter((source) => source.includes(`node_modules/${name}/`)),
        name,
      ).toEqual([]);
    expect(sources.filter((source) => /^(lib\/console|hooks)\//.test(source))).toEqual([]);
  });

  it('maps the bundle back to the TypeScript sources for stack traces', () => {
    const map = JSON.parse(readFileSync(join(built.appDir, 'main.mjs.map'), 'utf8')) as { sources: string[] };
    expect(map.sources).toEqual(expect.arrayContaining(['functions/smsWebhook.ts', 'lib/records/handlers.ts']));
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

describe('what README.md and docs/deploy-and-operations.md say about the package', () => {
  const paragraphs = ['README.md', join('docs', 'deploy-and-operations.md')].flatMap((page) =>
    readFileSync(join(ROOT, page), 'utf8')
      .split(/\n\s*\n/)
      .filter((text) => /\.artifacts\/app|npm run package/.test(text))
      .map((text) => ({ page, text: text.replace(/\s+/g, ' ') })),
  );
  const bytes = (file: string) => statSync(join(built.appDir, file)).size;
  /** The chunk holding the Twilio REST client: the one whose map lists the SDK's REST resources. */
  const twilioChunk = () =>
    built.files
      .filter(
        (file) =>
          file.endsWith('.mjs') &&
          /node_modules\/twilio\/lib\/rest\//.test(readFileSync(join(built.appDir, `${file}.map`), 'utf8')),
      )
      .sort((a, b) => bytes(b) - bytes(a))[0]!;
  /** Each way the pages state a number about the package, and what it is checked against (in MB of 10^6 bytes, or a count). */
  const claims: Array<[RegExp, () => number]> = [
    [/about ([\d.]+) MB zipped/g, () => statSync(built.zip).size / 1e6],
    [/the folder is about ([\d.]+) MB/g, () => built.files.reduce((sum, file) => sum + bytes(file), 0) / 1e6],
    [/Twilio REST client \(a ([\d.]+) MB chunk\)/g, () => bytes(twilioChunk()) / 1e6],
    [/(\d+) files/g, () => built.files.length],
  ];

  it('states sizes and counts the package built here has, "about" meaning within 10%', () => {
    let checked = 0;
    for (const { page, text } of paragraphs)
      for (const [pattern, actual] of claims)
        for (const [claim, stated] of text.matchAll(pattern)) {
          checked += 1;
          expect(
            Math.abs(Number(stated) - actual()) / actual(),
            `${page}: "${claim}" (actual ${actual().toFixed(2)})`,
          ).toBeLessThanOrEqual(0.1);
        }
    expect(checked).toBeGreaterThanOrEqual(4);
  });

  it('states no other number about the package, so that each has a check', () => {
    for (const { page, text } of paragraphs) {
      const covered = claims.flatMap(([pattern]) => [...text.matchAll(pattern)].map((match) => match[0]));
      for (const [number] of text.matchAll(/\d[\d.,]*\s*(?:MB|KB|KiB|MiB|GB|files|chunks)\b/g))
        expect(
          covered.some((claim) => claim.includes(number)),
          `${page}: "${number}"`,
        ).toBe(true);
    }
  });

  it('says half the folder is source maps only while it is', () => {
    const maps = built.files.filter((file) => file.endsWith('.map')).reduce((sum, file) => sum + bytes(file), 0);
    const total = built.files.reduce((sum, file) => sum + bytes(file), 0);
    if (paragraphs.some(({ text }) => text.includes('half of it source maps')))
      expect(maps / total).toBeGreaterThan(0.4);
    expect(maps / total).toBeLessThan(0.6);
  });
});

describe('the flow files a package ships', () => {
  let project: string;
  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'package-flows-'));
    cpSync(join(ROOT, 'flows'), join(project, 'flows'), { recursive: true });
    cpSync(join(ROOT, 'flows.json'), join(project, 'flows.json'));
    // The user's own flows beside the examples: one for the line, one only their tests use.
    cpSync(join(ROOT, 'flows', 'examples', 'ivr.json'), join(project, 'flows', 'dental.json'));
    cpSync(join(ROOT, 'flows', 'examples', 'ivr.json'), join(project, 'flows', 'test-only.json'));
    mkdirSync(join(project, 'flows', 'drafts'));
    writeFileSync(join(project, 'flows', 'drafts', 'broken.json'), '{');
    writeFileSync(join(project, 'outside.json'), readFileSync(join(ROOT, 'flows.json')));
  });
  afterAll(() => rmSync(project, { recursive: true, force: true }));
  const examples = () => flowFilesToShip(project, undefined).filter((file) => file.startsWith('flows/examples/'));

  it('ships only the file PHONE_FLOWS names and the examples, never the rest of flows/', () => {
    expect(flowFilesToShip(project, undefined)).toEqual(['flows.json', ...examples()]);
    expect(flowFilesToShip(project, 'flows/dental.json')).toEqual(['flows/dental.json', ...examples()]);
    expect(flowFilesToShip(project, 'flows/examples/ivr.json')).toEqual(examples());
    expect(examples().length).toBeGreaterThanOrEqual(5);
  });

  it('without flows.json ships the examples only (the app then runs its built-in default)', () => {
    const bare = mkdtempSync(join(tmpdir(), 'package-bare-'));
    try {
      cpSync(join(ROOT, 'flows'), join(bare, 'flows'), { recursive: true });
      expect(flowFilesToShip(bare, undefined).every((file) => file.startsWith('flows/examples/'))).toBe(true);
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  it('refuses, naming it, a PHONE_FLOWS outside the package, missing or invalid', () => {
    for (const [value, message] of [
      ['../outside.json', /PHONE_FLOWS "\.\.\/outside\.json" points outside the package/],
      [join(project, 'outside.json'), /PHONE_FLOWS ".*outside\.json" is an absolute path/],
      ['flows/missing.json', /PHONE_FLOWS names flows\/missing\.json, which does not exist/],
      ['flows/drafts/broken.json', /PHONE_FLOWS names flows\/drafts\/broken\.json, which is not a valid flow file/],
    ] as const) {
      expect(() => flowFilesToShip(project, value), value).toThrow(PackageError);
      expect(() => flowFilesToShip(project, value), value).toThrow(message);
    }
  });
});

describe('the package, served by the local host', () => {
  it('registers the function of every function file in the repository', async () => {
    const { queues, timers } = registeredTriggers();
    expect([...functions, ...queues, ...timers].map((fn) => fn.name).sort()).toEqual(
      functionSourceFiles().map(functionNameOf).sort(),
    );
  });

  it('answers a signed inbound SMS and records it', async () => {
    const url = `${host.url}/api/twilio/sms`;
    const sid = `SM${randomBytes(16).toString('hex')}`;
    const fields = { MessageSid: sid, From: '+15550001111', To: '+15005550006', Body: 'from the package' };
    const response = await postSigned(url, fields);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('<Message>');
    // Health after the first write: its probe's 2 s deadline is not for a cold table service under load.
    const health = await fetch(`${host.url}/api/health`);
    expect(health.status, await health.text()).toBe(200);
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
    const response = await postSigned(url, fields);
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

/** main.mjs and the chunks it imports statically, and theirs: what Node compiles before the first request. */
function coldStartModules(appDir: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const code = readFileSync(join(appDir, file), 'utf8');
    for (const [, imported] of code.matchAll(/(?:from|import)\s*["']\.\/([\w-]+\.mjs)["']/g)) visit(imported!);
  };
  visit('main.mjs');
  return [...seen];
}
