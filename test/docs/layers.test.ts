import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/appHost';

/** The README's layer line, top to bottom: `functions/` → `lib/health.ts` → … */
function readmeLayers(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const line = /`functions\/`(?:\s*→\s*`[^`]+`)+/.exec(readme)?.[0] ?? '';
  return line.split('→').map((layer) => layer.trim().replace(/`/g, '').replace(/\/$/, ''));
}

/** One real TypeScript file of a layer, the one the import is written from. */
function fileOf(layer: string): string {
  if (layer.endsWith('.ts')) return layer;
  const file = readdirSync(join(ROOT, layer)).find((name) => name.endsWith('.ts'));
  return `${layer}/${file}`;
}

/** `import '…';` of `target` as it is written from `from`. */
function importLine(from: string, target: string): string {
  const path = relative(dirname(join(ROOT, from)), join(ROOT, target)).replace(/\.ts$/, '');
  return `import '${path.startsWith('.') ? path : `./${path}`}';`;
}

describe('the layers', () => {
  const layers = readmeLayers();

  it('name every folder and file of lib/, each once', () => {
    expect(layers[0]).toBe('functions');
    const lib = readdirSync(join(ROOT, 'lib')).map((name) => `lib/${name}`);
    const expected = lib.filter((path) => statSync(join(ROOT, path)).isDirectory() || path.endsWith('.ts'));
    expect([...layers.slice(1)].sort()).toEqual(expected.sort());
  });

  it('are enforced by lint as the README states them: never up a layer, never into dev/ or test/', async () => {
    // The project's own config, with only the import rule and no type information: fast, and the same rule.
    const eslint = new ESLint({
      cwd: ROOT,
      overrideConfig: { languageOptions: { parserOptions: { projectService: false } } },
      ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
    });
    for (const [index, layer] of layers.entries()) {
      const from = fileOf(layer);
      const targets = [...layers.map(fileOf), 'dev/start.ts', 'test/support/settings.ts'];
      const [result] = await eslint.lintText(targets.map((target) => importLine(from, target)).join('\n'), {
        filePath: join(ROOT, from),
      });
      const refused = new Set(
        result!.messages.filter((message) => message.ruleId === 'no-restricted-imports').map((message) => message.line),
      );
      const flagged = targets.filter((_, line) => refused.has(line + 1));
      expect(flagged, `imports refused in ${from}`).toEqual([
        ...layers.slice(0, index).map(fileOf),
        'dev/start.ts',
        'test/support/settings.ts',
      ]);
    }
  }, 60_000);
});
