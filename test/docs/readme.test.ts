import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { settingsTable } from '../../lib/config/settings';
import { ROOT } from '../support/appHost';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The rows of the README's settings table: setting name -> [required, meaning]. */
function readmeSettings(): Map<string, string[]> {
  const section = readme.split(/^## Settings$/m)[1]?.split(/^## /m)[0] ?? '';
  const rows = section.split('\n').filter((line) => /^\| `[^`]+` \|/.test(line));
  return new Map(
    rows.map((row) => {
      const [name, ...rest] = row
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim());
      return [name!.replace(/`/g, ''), rest];
    }),
  );
}

describe('README', () => {
  it('lists every setting of the schema, and no other, with whether it is required', () => {
    const rows = readmeSettings();
    const schema = settingsTable();
    expect([...rows.keys()]).toEqual(schema.map((setting) => setting.name));
    for (const setting of schema) {
      const [required] = rows.get(setting.name)!;
      const expected = {
        always: /^yes$/,
        azure: /^in Azure$/,
        storage: /^(yes, or|in Azure)/,
        optional: /^(no|in Azure)$/,
      }[setting.requirement];
      expect(required, setting.name).toMatch(expected);
    }
  });

  it('gives the set-up in two terminals: serve in one, try and test in the other', () => {
    const quickStart = readme.split(/^## Quick start$/m)[1]?.split(/^## /m)[0] ?? '';
    const first = quickStart.indexOf('**Terminal 1**');
    const second = quickStart.indexOf('**Terminal 2**');
    expect(first).toBeGreaterThanOrEqual(0);
    expect(second).toBeGreaterThan(first);
    expect(quickStart.slice(first, second)).toContain('npm install && npm start');
    expect(quickStart.slice(second)).toContain('npm test');
    expect(quickStart.slice(second)).toContain('npm run simulate');
  });

  it('maps each of the seed endpoints to a route the app serves', () => {
    for (const [seed, route] of [
      ['/make_call', 'POST /api/calls'],
      ['/voice_url', 'POST /api/twilio/voice'],
      ['/sms_url', 'POST /api/twilio/sms'],
    ]) {
      expect(readme).toMatch(new RegExp(`${seed}.*${route}`));
    }
  });
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const anchorOf = (heading: string) =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

describe('README and docs/', () => {
  const docs = readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md'));

  it('has the pages the README promises, each linked from the README and linking back', () => {
    expect(docs.sort()).toEqual([
      'campaigns.md',
      'capacity.md',
      'console.md',
      'deploy-and-operations.md',
      'emulator.md',
      'flows.md',
      'records.md',
      'reliability.md',
      'security.md',
    ]);
    for (const name of docs) {
      expect(readme, name).toContain(`](docs/${name})`);
      expect(readFileSync(join(ROOT, 'docs', name), 'utf8'), name).toContain('](../README.md)');
    }
  });

  it('links only to files and headings that exist', () => {
    for (const file of ['README.md', ...docs.map((name) => join('docs', name))]) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^https?:/.test(target!)) continue;
        const [path, anchor] = target!.split('#');
        const linked = path ? join(dirname(join(ROOT, file)), path) : join(ROOT, file);
        expect(existsSync(linked), `${file}: ${target}`).toBe(true);
        if (anchor) {
          const headings = [...readFileSync(linked, 'utf8').matchAll(/^#+ (.+)$/gm)].map(([, heading]) =>
            anchorOf(heading!),
          );
          expect(headings, `${file}: ${target} in ${relative(ROOT, linked)}`).toContain(anchor);
        }
      }
    }
  });

  it('keeps the README short enough to hold: a few screens, at most 12,000 characters (detail goes to docs/)', () => {
    expect(readme.split('\n').length).toBeLessThan(200);
    expect(readme.length).toBeLessThanOrEqual(12_000);
  });

  it('shows only sample output a reader can reproduce: no literal SID to request, the status the app answers', () => {
    for (const file of ['README.md', ...docs.map((name) => join('docs', name))]) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      expect(text, file).not.toMatch(/curl[^\n]*\/(CA|SM)[0-9a-f]{32}/);
      expect(text, file).not.toMatch(/"status":"accepted"/);
    }
  });
});

describe('local.settings.json.example', () => {
  const example = JSON.parse(readFileSync(join(ROOT, 'local.settings.json.example'), 'utf8')) as {
    Values: Record<string, string>;
  };

  it('names only settings the app reads, and never holds a secret value', () => {
    const known = new Set<string>([...settingsTable().map((setting) => setting.name), 'FUNCTIONS_WORKER_RUNTIME']);
    for (const name of Object.keys(example.Values)) expect(known.has(name), name).toBe(true);
    expect(example.Values.TWILIO_AUTH_TOKEN).toBe('');
  });
});
