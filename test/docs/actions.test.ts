/**
 * The action kinds agree everywhere a user reads them: the flow schema (the registry in
 * lib/flows/actions), the README's action list and docs/flows.md's action tables.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ACTION_KINDS } from '../../lib/flows/actions';
import { LOGIC_KINDS } from '../../lib/flows/schema';
import { ROOT } from '../support/appHost';

const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const kinds = (text: string) => [...text.matchAll(/`([a-z]+)`/g)].map((match) => match[1]!);
const sorted = (names: readonly string[]) => [...new Set(names)].sort();

describe('the action kinds', () => {
  const schema = JSON.parse(read('flows.schema.json')) as object;

  it('the generated flows.schema.json names every kind of the registry', () => {
    const text = JSON.stringify(schema);
    for (const kind of ACTION_KINDS) expect(text, kind).toContain(`"${kind}"`);
  });

  it("the README's Actions and Logic lines list every kind, and nothing else", () => {
    const readme = read('README.md');
    const actions = /^Actions: ([\s\S]*?)\.\n/m.exec(readme)?.[1];
    const logic = /^Logic: ([^\n]*)/m.exec(readme)?.[1];
    expect(actions, 'an "Actions: …" line').toBeDefined();
    expect(logic, 'a "Logic: …" line').toBeDefined();
    expect(sorted([...kinds(actions!), ...kinds(logic!)])).toEqual(sorted(ACTION_KINDS));
    expect(sorted(kinds(logic!))).toEqual(sorted(LOGIC_KINDS));
  });

  it("docs/flows.md's action tables have one row per kind", () => {
    const rows = [...read('docs/flows.md').matchAll(/^\| `([a-z]+)` \| .*\| .*\|$/gm)].map((match) => match[1]!);
    const tables = rows.filter((kind) => !kind.endsWith('.json'));
    expect(sorted(tables)).toEqual(sorted(ACTION_KINDS));
    expect(tables).toHaveLength(ACTION_KINDS.length);
  });
});
