import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { settingsTable } from '../../lib/config/settings';
import { ROOT } from '../support/appHost';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The rows of the README's settings table: setting name -> [required, meaning]. */
function readmeSettings(): Map<string, string[]> {
  const section = readme.split(/^## Settings$/m)[1]?.split(/^## /m)[0] ?? '';
  const rows = section.split('\n').filter((line) => /^\| `[^`]+` \|/.test(line));
  return new Map(rows.map((row) => {
    const [name, ...rest] = row.split('|').slice(1, -1).map((cell) => cell.trim());
    return [name!.replace(/`/g, ''), rest];
  }));
}

describe('README', () => {
  it('lists every setting of the schema, and no other, with whether it is required', () => {
    const rows = readmeSettings();
    const schema = settingsTable();
    expect([...rows.keys()]).toEqual(schema.map((setting) => setting.name));
    for (const setting of schema) {
      const [required] = rows.get(setting.name)!;
      const expected = { always: /^yes$/, azure: /^in Azure$/, storage: /^(yes, or|in Azure)/, optional: /^(no|in Azure)$/ }[setting.requirement];
      expect(required, setting.name).toMatch(expected);
    }
  });

  it('gives the two commands of the set-up', () => {
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
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

describe('local.settings.json.example', () => {
  const example = JSON.parse(readFileSync(join(ROOT, 'local.settings.json.example'), 'utf8')) as { Values: Record<string, string> };

  it('names only settings the app reads, and never holds a secret value', () => {
    const known = new Set<string>([...settingsTable().map((setting) => setting.name), 'FUNCTIONS_WORKER_RUNTIME']);
    for (const name of Object.keys(example.Values)) expect(known.has(name), name).toBe(true);
    expect(example.Values.TWILIO_AUTH_TOKEN).toBe('');
  });
});
