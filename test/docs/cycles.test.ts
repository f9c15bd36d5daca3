import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/appHost';

/** Every .ts file below `folder`, relative to the project. */
function sources(folder: string): string[] {
  return readdirSync(join(ROOT, folder)).flatMap((name) => {
    const path = `${folder}/${name}`;
    if (statSync(join(ROOT, path)).isDirectory()) return sources(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

/** The project files `file` imports (type-only imports too: they tie the files together as much). */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
  return importedFiles.flatMap(({ fileName }) => {
    if (!fileName.startsWith('.')) return [];
    const target = resolve(dirname(join(ROOT, file)), fileName);
    const found = [`${target}.ts`, join(target, 'index.ts')].find((candidate) => existsSync(candidate));
    return found ? [relative(ROOT, found).split('\\').join('/')] : [];
  });
}

/** One import circle among `files`, as the path that closes it, or undefined. */
function aCircle(files: string[]): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const trail: string[] = [];
  const visit = (file: string): string[] | undefined => {
    if (state.get(file) === 'done') return undefined;
    if (state.get(file) === 'open') return [...trail.slice(trail.indexOf(file)), file];
    state.set(file, 'open');
    trail.push(file);
    for (const next of importsOf(file)) {
      const circle = visit(next);
      if (circle) return circle;
    }
    trail.pop();
    state.set(file, 'done');
    return undefined;
  };
  for (const file of files) {
    const circle = visit(file);
    if (circle) return circle;
  }
  return undefined;
}

describe('the imports', () => {
  it('run in no circle in functions/, lib/, dev/ or hooks/ (a file is understood by what it imports alone)', () => {
    const files = ['functions', 'lib', 'dev', 'hooks'].flatMap(sources);
    expect(files.length).toBeGreaterThan(100);
    expect(aCircle(files)).toBeUndefined();
  });

  it('are followed, so a circle would be found', () => {
    expect(importsOf('dev/emulator/rest/liveCalls.ts')).toContain('dev/emulator/rest/liveCall.ts');
  });
});
