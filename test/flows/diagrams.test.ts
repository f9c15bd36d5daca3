import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { flowDiagram } from '../../dev/flowsDiagram';
import { ROOT } from '../support/appHost';

const EXAMPLES = join(ROOT, 'flows', 'examples');
const readme = readFileSync(join(EXAMPLES, 'README.md'), 'utf8');

describe('flows/examples/README.md', () => {
  const files = readdirSync(EXAMPLES).filter((file) => file.endsWith('.json'));

  it.each(files)('shows the current diagram of %s (else: npm run flows:diagram flows/examples/<file>)', (file) => {
    const section = readme.split(/^## /m).find((part) => part.startsWith(`${file}\n`));
    expect(section, `a "## ${file}" section`).toBeDefined();
    const block = /```mermaid\n([\s\S]*?)```/.exec(section!)?.[1];
    expect(block).toBe(flowDiagram(join(EXAMPLES, file)));
  });
});

describe('diagrams in docs/', () => {
  const pages = readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => join('docs', name));
  const drawn = pages.flatMap((page) =>
    [
      ...readFileSync(join(ROOT, page), 'utf8').matchAll(/<!-- flows:diagram (\S+) -->\s*```mermaid\n([\s\S]*?)```/g),
    ].map(([, file, block]) => ({ page, file: file!, block: block! })),
  );

  it('are found: the appointment reminder in docs/flows.md', () => {
    expect(drawn.map(({ page, file }) => `${page} ${file}`)).toContain(
      `${join('docs', 'flows.md')} flows/examples/appointment-reminder.json`,
    );
  });

  it.each(drawn)('$page shows the current diagram of $file', ({ file, block }) => {
    expect(block).toBe(flowDiagram(join(ROOT, file)));
  });
});
