import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/appHost';

describe('docs/flows.md', () => {
  it('shows the test of a flow that test/flows/docs-example.test.ts runs, word for word', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'flows.md'), 'utf8');
    const shown = /```ts\n([\s\S]*?)```/.exec(doc.split('### A test of your own flow')[1] ?? '')?.[1];
    expect(shown).toBe(readFileSync(join(ROOT, 'test', 'flows', 'docs-example.test.ts'), 'utf8'));
  });
});
