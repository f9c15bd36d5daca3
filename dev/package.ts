/**
 * `npm run package`: the deployable app, bundled, in `.artifacts/app/` and `.artifacts/app.zip`.
 *
 * Flex Consumption downloads the package on a cold start and Node then loads what `main`
 * names, so the package holds the bundle and nothing else: no node_modules, no sources. The
 * Functions worker provides `@azure/functions-core` at run time, the only module left outside.
 * What only some requests need (the Twilio REST client, the table client, the identity
 * client) sits in chunks of its own that Node loads on the first `import()` that asks for it;
 * what the app require()s lazily (re2js) in a CommonJS file of its own (LAZY_REQUIRES).
 */
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { zipSync, type Zippable } from 'fflate';
import {
  CHECKED_FLOWS,
  checkedHash,
  DEFAULT_FLOW_FILE,
  FlowFileError,
  readFlowFile,
  type CheckedFlows,
} from '../lib/flows/load';
import { HOOKS_MANIFEST, hookNames } from '../lib/flows/hooks';
import { findProjectRoot } from './cli/settings';
import { buildConsole } from './consoleBuild';

const ROOT = findProjectRoot(__dirname);
export const ARTIFACTS = join(ROOT, '.artifacts');
export const APP_DIR = join(ARTIFACTS, 'app');
export const APP_ZIP = join(ARTIFACTS, 'app.zip');
const ENTRY = 'main';
const SOURCE_MAPS = 'source-maps';

export interface Package {
  /** The folder the zip is made from, laid out as the function app's wwwroot. */
  appDir: string;
  zip: string;
  /** The files in appDir, relative, sorted. */
  files: string[];
  /** The flow files among them: the one PHONE_FLOWS names, then the examples. */
  flows: string[];
}

/**
 * One entry that imports every function file, as the worker would load them one by one from
 * the repo's `main` glob, after the stack-trace support.
 */
function functionsEntry(): Plugin {
  const files = readdirSync(join(ROOT, 'functions'))
    .filter((file) => file.endsWith('.ts'))
    .sort();
  const modules: Record<string, string> = {
    [ENTRY]: [SOURCE_MAPS, ...files.map((file) => `./functions/${file.replace(/\.ts$/, '')}`)]
      .map((path) => `import '${path}';`)
      .join('\n'),
    // Stack traces in Application Insights point into the TypeScript: the maps are read when a
    // stack is first formatted, not at start as --enable-source-maps does (+80 ms of CPU here).
    // The worker keeps its own handler for uncaught exceptions.
    [SOURCE_MAPS]:
      "import { install } from 'source-map-support';\ninstall({ environment: 'node', handleUncaughtExceptions: false });",
  };
  const virtual = new RegExp(`^(${Object.keys(modules).join('|')})$`);
  return {
    name: 'functions-entry',
    setup(bundler) {
      bundler.onResolve({ filter: virtual }, (args) => ({ path: args.path, namespace: 'functions-entry' }));
      bundler.onLoad({ filter: /.*/, namespace: 'functions-entry' }, (args) => ({
        contents: modules[args.path],
        resolveDir: ROOT,
        loader: 'ts',
      }));
    },
  };
}

/**
 * How the package is bundled, apart from what goes in it: shared with the bench's floor
 * (dev/bench/floor.ts), so the floor is built the way the app is.
 */
export const BUNDLE_OPTIONS = {
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outExtension: { '.js': '.mjs' },
  chunkNames: '[name]-[hash]',
  external: ['@azure/functions-core'],
  // The bundled CommonJS code (twilio, @azure/functions) calls require(): for Node's
  // built-ins and for @azure/functions-core, which the worker answers through require.
  banner: {
    js: "import { createRequire as __appCreateRequire } from 'node:module';\nconst require = __appCreateRequire(import.meta.url);",
  },
  sourcemap: 'linked',
  // Stack traces need the mappings only; the sources stay in the repository.
  sourcesContent: false,
  minify: true,
  // Error and class names appear in logs and in errors' `name`.
  keepNames: false,
  legalComments: 'eof',
  logLevel: 'warning',
  // jsonc-parser's main build is UMD, whose require()s of its own files a bundler cannot follow; its ES module build can be.
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
} satisfies BuildOptions;

/**
 * Packages the app require()s lazily, on the first request that needs them (re2js, for flow
 * files with a pattern: lib/flows/pattern.ts). Inline, esbuild would put them in main.mjs,
 * which every cold start compiles (re2js is 148 KiB); instead each is bundled into a CommonJS
 * file of its own beside main, `<name>.cjs`, which that require() loads.
 */
const LAZY_REQUIRES = ['re2js', 'liquidjs'];

function lazyRequires(): Plugin {
  return {
    name: 'lazy-requires',
    setup(bundler) {
      bundler.onResolve({ filter: new RegExp(`^(${LAZY_REQUIRES.join('|')})$`) }, (args) =>
        args.kind === 'require-call' ? { path: `./${args.path}.cjs`, external: true } : undefined,
      );
    },
  };
}

async function bundleLazyRequires(appDir: string): Promise<void> {
  await Promise.all(
    LAZY_REQUIRES.map((name) =>
      build({
        ...BUNDLE_OPTIONS,
        // One CommonJS file: no chunks, and no ESM banner (CommonJS has its own require).
        format: 'cjs',
        splitting: false,
        banner: {},
        outExtension: {},
        entryPoints: [require.resolve(name, { paths: [ROOT] })],
        outfile: join(appDir, `${name}.cjs`),
      }),
    ),
  );
}

/** The package's code into appDir; `plugins` (the bench's import marks) see every module after the entry's. */
export async function bundle(appDir: string, plugins: Plugin[] = []): Promise<void> {
  await build({
    ...BUNDLE_OPTIONS,
    entryPoints: [ENTRY],
    define: { PACKAGED_HOOKS: 'true' },
    plugins: [functionsEntry(), lazyRequires(), ...plugins],
    outdir: appDir,
  });
  await Promise.all([bundleLazyRequires(appDir), bundleHooks(appDir)]);
}

/**
 * Each hook (hooks/<name>.ts) as a module of its own, hooks/<name>.mjs, that the app imports
 * when a flow first runs it; built apart from the app so the app's bundle and its cold start
 * stay as they are, and listed in hooks.json since the sources are not shipped.
 */
async function bundleHooks(appDir: string): Promise<void> {
  const hooks = hookNames(ROOT);
  writeFileSync(join(appDir, HOOKS_MANIFEST), `${JSON.stringify(hooks)}\n`);
  if (!hooks.length) return;
  await build({
    ...BUNDLE_OPTIONS,
    splitting: false,
    entryPoints: Object.fromEntries(hooks.map((name) => [`hooks/${name}`, join(ROOT, 'hooks', `${name}.ts`)])),
    outdir: appDir,
  });
}

/**
 * Map sources as paths from the project root (`lib/http/handle.ts`, `node_modules/twilio/…`), so a
 * stack trace names the same file wherever the package is unpacked.
 */
function rootRelativeSources(appDir: string): void {
  for (const name of filesUnder(appDir).filter((file) => file.endsWith('.map'))) {
    const file = join(appDir, name);
    const map = JSON.parse(readFileSync(file, 'utf8')) as { sources: string[] };
    // A source that is a URL (webpack:// in @azure/functions' own maps) stays as it is.
    map.sources = map.sources.map((source) =>
      /^[a-z][\w+.-]*:/i.test(source) ? source : relative(ROOT, resolve(appDir, source)).split('\\').join('/'),
    );
    writeFileSync(file, JSON.stringify(map));
  }
}

function writeManifests(appDir: string): void {
  const project = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const manifest = {
    name: project.name,
    version: project.version,
    description: project.description,
    private: true,
    license: project.license,
    // The worker imports `main`; it registers every function.
    main: `${ENTRY}.mjs`,
    engines: project.engines,
  };
  writeFileSync(join(appDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(appDir, 'host.json'), readFileSync(join(ROOT, 'host.json')));
}

/** Why the package cannot be built as asked, in one line that names the setting or file. */
export class PackageError extends Error {
  override name = 'PackageError';
}

const EXAMPLES = join('flows', 'examples');

/**
 * The flow files the package ships: the file PHONE_FLOWS names (flows.json when unset, if
 * there is one) and the examples, so that a flow of the user's that only their tests use
 * never reaches Azure. The app reads PHONE_FLOWS relative to the package at run time, so a
 * path that leaves it, or an absolute one, could never be found there and is refused, as is
 * a named file that is missing or invalid.
 */
export function flowFilesToShip(root: string, phoneFlows: string | undefined): string[] {
  const named = phoneFlows?.trim() || undefined;
  const examples = existsSync(join(root, EXAMPLES))
    ? filesUnder(join(root, EXAMPLES))
        .filter((name) => name.endsWith('.json'))
        .map((name) => join(EXAMPLES, name).split(sep).join('/'))
    : [];
  if (named === undefined)
    return existsSync(join(root, DEFAULT_FLOW_FILE)) ? [DEFAULT_FLOW_FILE, ...examples] : examples;
  if (isAbsolute(named))
    throw new PackageError(
      `PHONE_FLOWS "${named}" is an absolute path: the app reads it relative to the package, so give a path inside the project, such as flows/my-line.json`,
    );
  const shipped = relative(root, resolve(root, named)).split(sep).join('/');
  if (shipped.startsWith('../') || shipped === '..')
    throw new PackageError(
      `PHONE_FLOWS "${named}" points outside the package: give a path inside the project, such as flows/my-line.json`,
    );
  if (!existsSync(join(root, shipped))) throw new PackageError(`PHONE_FLOWS names ${shipped}, which does not exist`);
  try {
    readFlowFile(join(root, shipped), shipped);
  } catch (error) {
    if (!(error instanceof FlowFileError)) throw error;
    throw new PackageError(
      `PHONE_FLOWS names ${shipped}, which is not a valid flow file:\n${error.lines.map((line) => `  ${line}`).join('\n')}`,
    );
  }
  return examples.includes(shipped) ? examples : [shipped, ...examples];
}

function copyFlows(appDir: string, flows: string[]): void {
  for (const name of flows) {
    mkdirSync(dirname(join(appDir, name)), { recursive: true });
    copyFileSync(join(ROOT, name), join(appDir, name));
  }
}

/**
 * CHECKED_FLOWS: each shipped flow file checked here, as the app would, against the package's
 * hooks, with its hash and what it reads, so that the app's cold start runs it without
 * building the flow schema. A file that fails is left out: the app checks it, and refuses it,
 * with the same messages as without a package.
 */
export function writeCheckedFlows(appDir: string, flows: string[]): void {
  const hooks = hookNames(appDir);
  const checked: CheckedFlows = {};
  for (const name of flows) {
    try {
      const flowsRead = readFlowFile(join(appDir, name), name, appDir);
      checked[name] = { sha256: checkedHash(readFileSync(join(appDir, name), 'utf8'), hooks), flows: flowsRead };
    } catch (error) {
      if (!(error instanceof FlowFileError)) throw error;
    }
  }
  writeFileSync(join(appDir, CHECKED_FLOWS), JSON.stringify(checked));
}

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: 'utf8' })
    .filter((name) => statSync(join(folder, name)).isFile())
    .sort();
}

// Unix permissions in the zip: Flex Consumption mounts the package as it is, and a file the
// archive gives no read permission cannot be loaded.
const FILE_ATTRS = 0o100644 << 16;
const UNIX = 3;
// A fixed time keeps the zip the same byte for byte when its files are.
const ZIP_TIME = new Date('2020-01-01T00:00:00Z');

function zipFolder(folder: string, target: string): void {
  const entries: Zippable = {};
  for (const name of filesUnder(folder)) {
    entries[name.split('\\').join('/')] = [
      readFileSync(join(folder, name)),
      { os: UNIX, attrs: FILE_ATTRS, mtime: ZIP_TIME, level: 9 },
    ];
  }
  writeFileSync(target, zipSync(entries));
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

/** Builds `<artifacts>/app/` and `<artifacts>/app.zip` afresh, with the flow file `phoneFlows` names. */
export async function buildPackage(artifacts = ARTIFACTS, phoneFlows = process.env.PHONE_FLOWS): Promise<Package> {
  const flows = flowFilesToShip(ROOT, phoneFlows);
  const appDir = join(artifacts, 'app');
  const zip = join(artifacts, 'app.zip');
  rmSync(appDir, { recursive: true, force: true });
  rmSync(zip, { force: true });
  mkdirSync(appDir, { recursive: true });
  await bundle(appDir);
  rootRelativeSources(appDir);
  writeManifests(appDir);
  copyFlows(appDir, flows);
  writeCheckedFlows(appDir, flows);
  await buildConsole(appDir);
  zipFolder(appDir, zip);
  return { appDir, zip, files: filesUnder(appDir).map((name) => name.split(sep).join('/')), flows };
}

async function main() {
  const { appDir, zip, files, flows } = await buildPackage();
  const total = files.reduce((sum, name) => sum + statSync(join(appDir, name)).size, 0);
  console.log(`${relative(ROOT, appDir)}/ (${files.length} files, ${kib(total)}):`);
  for (const name of files) console.log(`  ${name.padEnd(32)} ${kib(statSync(join(appDir, name)).size).padStart(10)}`);
  const bytes = readFileSync(zip);
  const own = flows.filter((name) => !name.startsWith('flows/examples/'));
  const named = process.env.PHONE_FLOWS?.trim();
  const line = named
    ? `${named} (PHONE_FLOWS)`
    : own.length
      ? `${own[0]} (the default; PHONE_FLOWS names another)`
      : 'no flows.json (the app runs its built-in default)';
  console.log(`Flows: ${line}, and ${flows.length - own.length} examples from flows/examples/`);
  console.log(
    `${relative(ROOT, zip)}: ${kib(bytes.length)}, sha256 ${createHash('sha256').update(bytes).digest('hex')}`,
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
