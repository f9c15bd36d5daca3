/**
 * `npm run simulate|webhooks|emulator` build first, but a full `tsc` costs seconds even when
 * nothing changed: this compiles only when a source or build setting is newer than the last
 * build. Plain JavaScript, because it runs before there is anything compiled to run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const stamp = join(root, 'dist', '.build-stamp');
const SOURCES = ['functions', 'lib', 'dev'];
const SETTINGS = ['tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json', 'host.json'];

function newest(path) {
  if (!existsSync(path)) return 0;
  const stats = statSync(path);
  if (!stats.isDirectory()) return /\.(ts|json)$/.test(path) ? stats.mtimeMs : 0;
  return readdirSync(path).reduce((latest, name) => Math.max(latest, newest(join(path, name))), stats.mtimeMs);
}

const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
const changed = Math.max(
  ...SOURCES.map((folder) => newest(join(root, folder))),
  ...SETTINGS.map((file) => newest(join(root, file))),
);
if (changed > built) {
  const startedAt = new Date();
  const tsc = spawnSync(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')],
    { stdio: 'inherit' },
  );
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  // Stamped with the time the build began: a file saved during the build makes the next run build again.
  writeFileSync(stamp, '');
  utimesSync(stamp, startedAt, startedAt);
}
