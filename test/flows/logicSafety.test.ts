/**
 * What a caller sends cannot stall a call through a switch's regular expression, and a flow
 * whose variables would outgrow their bound takes the failed outcome: played through the
 * emulator with startPhone, as a user's own test would.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPhone, type Phone } from '../support/phone';

const EVIL = `${'a'.repeat(40)}!`;
const big = 'x'.repeat(3900);
const matches = (value: string) => ({
  switch: { value, cases: [{ matches: '^(a+)+$', step: 'matched' }], otherwise: 'unmatched' },
});

const flow = {
  voice: {
    entry: 'ask',
    onError: 'sorry',
    steps: {
      ask: {
        actions: [{ gather: { input: 'dtmf speech', branches: { '9': 'big' }, retries: 0, otherwise: 'check' } }],
      },
      check: { actions: [matches('{{ trigger.call.SpeechResult }}{{ trigger.call.Digits }}')] },
      matched: { actions: [{ say: 'matched' }] },
      unmatched: { actions: [{ say: 'no match' }] },
      big: {
        actions: [{ set: { a: big, b: big, c: big, d: big, e: big } }, { say: 'still here' }],
      },
      sorry: { actions: [{ say: 'Sorry, something went wrong.' }] },
    },
  },
  messaging: {
    rules: [{ keyword: 'BIG', actions: [{ set: { a: big, b: big, c: big, d: big, e: big } }], reply: 'big reply' }],
    reply: 'default',
  },
};
const textFlow = {
  messaging: {
    rules: [{ actions: [matches('{{ trigger.message.Body }}')], reply: 'never' }],
    replies: { matched: { reply: 'matched' }, unmatched: { reply: 'no match' } },
  },
};

describe('logic actions against what a caller sends', () => {
  const dir = mkdtempSync(join(tmpdir(), 'logic-'));
  let phone: Phone;
  let texts: Phone;
  beforeAll(async () => {
    writeFileSync(join(dir, 'flow.json'), JSON.stringify(flow));
    writeFileSync(join(dir, 'text.json'), JSON.stringify(textFlow));
    phone = await startPhone({ flows: join(dir, 'flow.json') });
  });
  afterAll(async () => {
    await phone?.close();
    await texts?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('^(a+)+$ in a switch cannot stall a call: 40 a and a ! as speech is answered at once', async () => {
    const started = Date.now();
    const call = await phone.call({ speech: [EVIL] });
    expect(call.heard).toContain('Say: no match');
    expect(call.path).toMatch(/^ask · said "a{40}!" · no match · check · switch .*: unmatched$/);
    expect(Date.now() - started).toBeLessThan(5_000);
    const plain = await phone.call({ speech: ['aaaa'] });
    expect(plain.heard, plain.path).toContain('Say: matched');
  }, 10_000);

  it('variables over 16 KiB: the failed outcome (onError) and a log line, never a 500', async () => {
    phone.logs.length = 0;
    const call = await phone.call({ digits: ['9'] });
    expect(call.heard).toContain('Say: Sorry, something went wrong.');
    expect(call.heard).not.toContain('Say: still here');
    expect(phone.logs.join('\n')).toMatch(/the variables would take \d+ bytes, more than 16384/);
    const text = await phone.text('BIG');
    expect(text.replies.map((reply) => reply.body)).toEqual(['big reply']);
  });

  it('^(a+)+$ in a text rule’s switch: 40 a and a ! as Body is answered at once', async () => {
    await phone.close();
    texts = await startPhone({ flows: join(dir, 'text.json') });
    const started = Date.now();
    expect((await texts.text(EVIL)).replies.map((reply) => reply.body)).toEqual(['no match']);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await texts.text('aaa')).replies.map((reply) => reply.body)).toEqual(['matched']);
  }, 20_000);
});
