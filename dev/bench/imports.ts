/**
 * `npm run bench -- --imports`: what each module's top level costs in the package's cold
 * start. The package is bundled again with a mark at the start and the end of every module
 * (the worker stand-in counts the CPU between them, with BENCH_MARKS=1), so a schema built at
 * import, or a library's set-up, shows under its own file or package. Compiling the bundle is
 * not in it (that happens before any module runs), and the marks add a little to every module.
 */
import { cpSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { relative } from 'node:path';
import type { Plugin } from 'esbuild';
import { APP_DIR, bundle } from '../package';

/** A module's name in the table: its package, or its path in the repository. */
const moduleName = (root: string, path: string) =>
  /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? relative(root, path).split('\\').join('/');

const DIRECTIVE = /^(\s*(['"])use strict\2;?)/;

function importMarks(root: string): Plugin {
  return {
    name: 'import-marks',
    setup(bundler) {
      bundler.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
        if (args.path.endsWith('.d.ts')) return undefined;
        const source = readFileSync(args.path, 'utf8');
        if (source.startsWith('#!')) return undefined;
        const enter = `globalThis.benchEnter?.(${JSON.stringify(moduleName(root, args.path))});`;
        // A CommonJS file's 'use strict' must stay first to stay a directive.
        const directive = DIRECTIVE.exec(source)?.[1] ?? '';
        return {
          contents: `${directive};${enter}\n${source.slice(directive.length)}\n;globalThis.benchLeave?.();`,
          loader: /\.[cm]?ts$/.test(args.path) ? 'ts' : 'js',
        };
      });
    },
  };
}

/** The package with import marks, in `dir`: the package's other files (flows, host.json, package.json) as they are. */
export async function buildMarked(root: string, dir: string): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  cpSync(APP_DIR, dir, { recursive: true, filter: (source) => !/\.mjs(\.map)?$/.test(source) });
  await bundle(dir, [importMarks(root)]);
  if (!readdirSync(dir).includes('main.mjs')) throw new Error(`No main.mjs in ${dir}`);
}

/** The median CPU of each module's top level over the runs, largest first. */
export function printModuleCpu(runs: Array<Record<string, number>>, top = 25): void {
  const names = [...new Set(runs.flatMap((run) => Object.keys(run)))];
  const medians = names.map((name) => {
    const values = runs.map((run) => run[name] ?? 0).sort((a, b) => a - b);
    return { name, cpu: values[Math.floor(values.length / 2)]! };
  });
  medians.sort((a, b) => b.cpu - a.cpu);
  const total = medians.reduce((sum, { cpu }) => sum + cpu, 0);
  console.log(
    `\nCPU of each module's top level, median of ${runs.length} cold starts (all modules: ${total.toFixed(1)} ms)`,
  );
  for (const { name, cpu } of medians.slice(0, top)) console.log(`  ${cpu.toFixed(2).padStart(7)} ms  ${name}`);
}
