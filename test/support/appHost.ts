import { readdirSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { loadFunctions, routePrefix, startHost, type LogLine } from '../../dev/functionsHost';

export const ROOT = resolve(__dirname, '../..');

/** Every function file, as TypeScript source (the built app loads the same files from dist/). */
export const functionSourceFiles = () =>
  readdirSync(join(ROOT, 'functions'))
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(ROOT, 'functions', file));

export const functionNameOf = (file: string) => basename(file).replace(/\.(ts|js)$/, '');

/** The app served over real HTTP on a free 127.0.0.1 port by the local host. */
export async function startAppHost(log?: LogLine) {
  const functions = await loadFunctions(functionSourceFiles());
  return { functions, ...(await startHost({ functions, prefix: routePrefix(ROOT), log: log ?? (() => {}) })) };
}
