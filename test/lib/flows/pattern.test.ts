import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../../lib/config/settings';
import { FlowFileError, readFlowFile } from '../../../lib/flows/load';
import { answerMessage } from '../../../lib/flows/messaging';
import type { FlowFile } from '../../../lib/flows/schema';
import { baseSettings } from '../../support/settings';

const settings = loadSettings(baseSettings);
const dir = mkdtempSync(join(tmpdir(), 'flow-patterns-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A flow file with these messaging rules, read and checked as the app reads it at start. */
function flowsWith(rules: object[]): FlowFile {
  const file = join(dir, `flow-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ messaging: { rules, reply: 'default' } }));
  return readFlowFile(file, 'flows.json');
}

const text = (Body: string) => ({ Body, From: '+15550100199' });

describe('a messaging rule pattern', () => {
  // A backtracking engine takes 2^n steps for `a`×n then `!` on this pattern: about 5 s at 30
  // characters, and the process never answers at 40 (issue 17). These tests assert an answer,
  // and the timeout fails them when the answer comes too late.
  const catastrophic = [{ pattern: '^(a+)+$', reply: 'all a' }];

  it('answers a text of 30 `a` and `!` against ^(a+)+$', { timeout: 2_000 }, async () => {
    expect((await answerMessage(flowsWith(catastrophic), text(`${'a'.repeat(30)}!`), settings)).rule).toBe('default');
  });

  it(
    'answers a text of 40 `a` and `!`, and one far longer than an SMS, against ^(a+)+$',
    { timeout: 2_000 },
    async () => {
      const flows = flowsWith(catastrophic);
      expect((await answerMessage(flows, text(`${'a'.repeat(40)}!`), settings)).rule).toBe('default');
      expect((await answerMessage(flows, text('a'.repeat(40)), settings)).rule).toBe('pattern ^(a+)+$');
      // A pattern runs on the first 1,600 characters (Twilio's longest body): here, all `a`.
      expect((await answerMessage(flows, text(`${'a'.repeat(100_000)}!`), settings)).rule).toBe('pattern ^(a+)+$');
    },
  );

  it('matches case-insensitively over Unicode, as it did on JavaScript RegExp with the iu flags', async () => {
    const flows = flowsWith([
      { pattern: '^caf\\u00e9\\s+\\p{L}+$', reply: 'coffee' },
      { pattern: '^.$', reply: 'one character' },
      { pattern: 'kelvin', reply: 'k' },
    ]);
    expect((await answerMessage(flows, text('CAFÉ Ünïcödé'), settings)).rule).toBe('pattern ^caf\\u00e9\\s+\\p{L}+$');
    expect((await answerMessage(flows, text('😀'), settings)).rule).toBe('pattern ^.$');
    expect((await answerMessage(flows, text('\u212Aelvin'), settings)).rule).toBe('pattern kelvin');
    expect((await answerMessage(flows, text('coffee'), settings)).rule).toBe('default');
  });

  it('that the linear-time engine cannot run is refused at start, naming the pattern and why', async () => {
    const problems = (rules: object[]) => {
      try {
        flowsWith(rules);
        return [];
      } catch (error) {
        if (!(error instanceof FlowFileError)) throw error;
        return error.lines;
      }
    };
    expect(
      problems([
        { keyword: 'hi', reply: 'x' },
        { pattern: '^(?=a)a$', reply: 'lookahead' },
        { pattern: '(a)\\1', reply: 'backreference' },
        { pattern: '(', reply: 'unbalanced' },
      ]),
    ).toEqual([
      expect.stringMatching(/^flows\.json:\d+:\d+: messaging\.rules\[1\]\.pattern: .*linear-time.*`\(\?=`/),
      expect.stringMatching(/^flows\.json:\d+:\d+: messaging\.rules\[2\]\.pattern: .*linear-time.*\\1/),
      expect.stringMatching(/^flows\.json:\d+:\d+: messaging\.rules\[3\]\.pattern: .*missing closing \)/),
    ]);
  });
});
