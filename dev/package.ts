/**
 * `npm run package`: the deployable app, bundled, in `.artifacts/app/` and `.artifacts/app.zip`.
 *
 * Flex Consumption downloads the package on a cold start and Node then loads what `main`
 * names, so the package holds the bundle and nothing else: no node_modules, no sources. The
 * Functions worker provides `@azure/functions-core` at run time, the only module left outside.
 * What only some requests need (the Twilio REST client, the table client, the identity
 * client) sits in chunks of its own that Node loads on the first `import()` that asks for it.
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
import { dirname, join, relative, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { zipSync, type Zippable } from 'fflate';
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

async function bundle(appDir: string): Promise<void> {
  await build({
    entryPoints: [ENTRY],
    plugins: [functionsEntry()],
    outdir: appDir,
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

/** The flow files PHONE_FLOWS may name, read at run time from the app root: flows.json and flows/**.json. */
function copyFlows(appDir: string): void {
  const flowFiles = [
    ...(existsSync(join(ROOT, 'flows.json')) ? ['flows.json'] : []),
    ...(existsSync(join(ROOT, 'flows'))
      ? filesUnder(join(ROOT, 'flows'))
          .filter((name) => name.endsWith('.json'))
          .map((name) => join('flows', name))
      : []),
  ];
  for (const name of flowFiles) {
    mkdirSync(dirname(join(appDir, name)), { recursive: true });
    copyFileSync(join(ROOT, name), join(appDir, name));
  }
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

/** Builds `<artifacts>/app/` and `<artifacts>/app.zip` afresh. */
export async function buildPackage(artifacts = ARTIFACTS): Promise<Package> {
  const appDir = join(artifacts, 'app');
  const zip = join(artifacts, 'app.zip');
  rmSync(appDir, { recursive: true, force: true });
  rmSync(zip, { force: true });
  mkdirSync(appDir, { recursive: true });
  await bundle(appDir);
  rootRelativeSources(appDir);
  writeManifests(appDir);
  copyFlows(appDir);
  await buildConsole(appDir);
  zipFolder(appDir, zip);
  return { appDir, zip, files: filesUnder(appDir) };
}

async function main() {
  const { appDir, zip, files } = await buildPackage();
  const total = files.reduce((sum, name) => sum + statSync(join(appDir, name)).size, 0);
  console.log(`${relative(ROOT, appDir)}/ (${files.length} files, ${kib(total)}):`);
  for (const name of files) console.log(`  ${name.padEnd(32)} ${kib(statSync(join(appDir, name)).size).padStart(10)}`);
  const bytes = readFileSync(zip);
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
