/**
 * A caller cannot change a flow's variables by editing any request it sends (issue 20, item 1):
 * every request below goes over real HTTP through the local host, signed as Twilio signs it, then
 * tampered with (body, query, repeated, padded or variable-like parameters, an older turn
 * replayed). Each attempt is refused as any tampered request is, and the variables read back on
 * GET /api/calls/{sid} keep their values: they live in storage, written by the flow alone.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startAppHost } from '../support/appHost';
import { TEST_AUTH_TOKEN, TEST_PHONE_NUMBER, useSettings } from '../support/settings';

const dir = mkdtempSync(join(tmpdir(), 'variables-tamper-'));
const flowFile = join(dir, 'flows.json');
writeFileSync(
  flowFile,
  JSON.stringify({
    voice: {
      entry: 'start',
      steps: {
        start: {
          actions: [
            { set: { tier: 'basic', tries: 0, said: '' } },
            {
              gather: {
                input: 'dtmf speech',
                numDigits: 1,
                retries: 0,
                prompt: 'Press a key.',
                branches: { '9': 'check' },
                otherwise: 'check',
                noInput: 'check',
              },
            },
          ],
        },
        check: {
          actions: [
            { set: { tries: '{{ flow.variables.tries | plus: 1 }}', said: '{{ trigger.call.SpeechResult }}' } },
            { switch: { value: '{{ flow.variables.tier }}', cases: [{ equals: 'vip', step: 'vip' }] } },
            { say: 'Basic line, try {{ flow.variables.tries }}.' },
            { redirect: { step: 'start2' } },
          ],
        },
        start2: {
          actions: [
            {
              gather: { numDigits: 1, retries: 0, prompt: 'Again.', branches: { '9': 'check' }, otherwise: 'check' },
            },
          ],
        },
        vip: { actions: [{ say: 'VIP line.' }, { hangup: true }] },
      },
    },
  }),
);

let app: Awaited<ReturnType<typeof startAppHost>>;
beforeAll(async () => {
  app = await startAppHost();
});
afterAll(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => useSettings({ PHONE_FLOWS: flowFile }));

const EXPECTED = { tier: 'basic', tries: 0, said: '' };

/** A form POST of exactly this body (repeated names kept) to exactly this path, with this signature. */
const post = (path: string, body: string, signature: string | undefined) =>
  fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(signature === undefined ? {} : { 'x-twilio-signature': signature }),
    },
    body,
  });

const sign = (path: string, fields: Record<string, string>) =>
  getExpectedTwilioSignature(TEST_AUTH_TOKEN, `${app.url}${path}`, fields);
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
/** As Twilio sends it: the path and every field signed. */
const signed = (path: string, fields: Record<string, string>) => post(path, form(fields), sign(path, fields));

async function variablesOf(callSid: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${app.url}/api/calls/${callSid}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { variables?: Record<string, unknown> }).variables ?? {};
}

/** A call answered at its entry: its fields and the signed path of its gather's action URL. */
async function startCall() {
  const call = {
    CallSid: `CA${randomBytes(16).toString('hex')}`,
    From: '+15550100199',
    To: TEST_PHONE_NUMBER,
    CallStatus: 'ringing',
  };
  const reply = await signed('/api/twilio/voice', call);
  const twiml = await reply.text();
  expect(reply.status, twiml).toBe(200);
  const action = /<Gather[^>]* action="([^"]+)"/.exec(twiml)?.[1]?.replace(/&amp;/g, '&');
  expect(action, twiml).toBeDefined();
  expect(await variablesOf(call.CallSid)).toEqual(EXPECTED);
  const url = new URL(action!, app.url);
  return { call: { ...call, CallStatus: 'in-progress' }, gather: url.pathname + url.search };
}

/** Names a tamperer might hope the app reads variables from. */
const VARIABLE_LIKE = [
  'tier',
  'flow.variables.tier',
  'variables[tier]',
  'variables.tier',
  'flow[variables][tier]',
  'state',
  'variables',
  'widgets.tier',
  'trigger.call.tier',
  '__proto__[tier]',
];
const TAMPERED_VALUES = (name: string) => (name === 'state' || name === 'variables' ? '{"tier":"vip"}' : 'vip');

describe('a caller cannot change a flow variable (issue 20, item 1)', () => {
  it('through the body: an added variable-like field breaks the signature (403), and even signed it is only a field', async () => {
    const { call, gather } = await startCall();
    const fields = { ...call, Digits: '1' };
    const signature = sign(gather, fields);
    for (const name of VARIABLE_LIKE) {
      const extra = `&${encodeURIComponent(name)}=${encodeURIComponent(TAMPERED_VALUES(name))}`;
      const reply = await post(gather, form(fields) + extra, signature);
      expect(reply.status, name).toBe(403);
    }
    expect(await variablesOf(call.CallSid)).toEqual(EXPECTED);

    // Signed as if Twilio had sent them: the turn is answered, and the variables come from storage only.
    const withAll = { ...fields, ...Object.fromEntries(VARIABLE_LIKE.map((name) => [name, TAMPERED_VALUES(name)])) };
    const reply = await signed(gather, withAll);
    const twiml = await reply.text();
    expect(reply.status, twiml).toBe(200);
    expect(twiml).toContain('Basic line, try 1.');
    expect(twiml).not.toContain('VIP');
    expect(await variablesOf(call.CallSid)).toEqual({ ...EXPECTED, tries: '1' });
  });

  it("through the signed callback's query: an added, repeated or padded parameter is refused, signed or not", async () => {
    const { call, gather } = await startCall();
    const fields = { ...call, Digits: '1' };
    const signature = sign(gather, fields);
    // A query no URL of ours has: refused whether the tamperer could sign it or not.
    const malformed = [
      ...VARIABLE_LIKE.map((name) => `${gather}&${encodeURIComponent(name)}=vip`),
      `${gather}&step=vip`,
      gather.replace('step=start', 'step=start&step=vip'),
      gather.replace('step=start', 'step=vip&step=start'),
      gather.replace('step=start', 'step%20=start'),
      gather.replace('step=start', '%20step=start'),
      gather.replace('step=start', 'step=start&'),
      gather.replace('turn=1', 'turn=1&turn=0'),
      gather.replace('turn=1', 'turn=%201'),
      `${gather}${'&'.repeat(100)}&step=vip`,
    ];
    // A well-formed query with another value: only a signature could make it ours.
    const otherValues = [
      gather.replace('step=start', 'step=vip'),
      gather.replace('step=start', 'step=start%20'),
      gather.replace('step=start', 'step=%20start'),
      gather.replace('turn=1', 'turn=9'),
    ];
    for (const path of [...malformed, ...otherValues]) {
      const reply = await post(path, form(fields), signature);
      expect([400, 403], `${path} (tampered)`).toContain(reply.status);
    }
    for (const path of malformed) expect((await signed(path, fields)).status, `${path} (signed)`).toBe(400);
    expect(await variablesOf(call.CallSid)).toEqual(EXPECTED);
  });

  it('with repeated or padded body fields: refused unsigned; signed, the first value is the input and nothing else', async () => {
    const { call, gather } = await startCall();
    const fields = { ...call, Digits: '1' };
    const signature = sign(gather, fields);
    for (const extra of ['&Digits=9', '&CallSid=CA00000000000000000000000000000000', '&Digits%20=9', '&%20Digits=9']) {
      const reply = await post(gather, form(fields) + extra, signature);
      expect(reply.status, extra).toBe(403);
    }
    const padded = { ...fields, SpeechResult: '  {{ flow.variables.tier }} {% assign tier = "vip" %} vip  ' };
    const reply = await signed(gather, padded);
    const twiml = await reply.text();
    expect(reply.status, twiml).toBe(200);
    expect(twiml).not.toContain('VIP');
    const variables = await variablesOf(call.CallSid);
    // The caller's words are kept as text, never run as a template.
    expect(variables).toEqual({ ...EXPECTED, tries: '1', said: padded.SpeechResult });
  });

  it('by replaying an older turn, signed: answered as first answered, and the variables keep their values', async () => {
    const { call, gather } = await startCall();
    const first = await signed(gather, { ...call, Digits: '1' });
    const firstTwiml = await first.text();
    expect(await variablesOf(call.CallSid)).toEqual({ ...EXPECTED, tries: '1' });

    const replayed = await signed(gather, { ...call, Digits: '9' });
    expect(await replayed.text()).toBe(firstTwiml);
    expect(await variablesOf(call.CallSid)).toEqual({ ...EXPECTED, tries: '1' });

    // The call's first request again (Twilio's retry, or a captured request sent back): the
    // variables the call has built are not set back to their first values.
    const again = await signed('/api/twilio/voice', { ...call, CallStatus: 'ringing' });
    expect(again.status).toBe(200);
    expect(await variablesOf(call.CallSid)).toEqual({ ...EXPECTED, tries: '1' });
  });

  it('without a signature, or with one for another call: refused, nothing changes', async () => {
    const { call, gather } = await startCall();
    const fields = { ...call, Digits: '1' };
    expect((await post(gather, form(fields), undefined)).status).toBe(403);
    const other = { ...fields, CallSid: `CA${randomBytes(16).toString('hex')}` };
    expect((await post(gather, form(fields), sign(gather, other))).status).toBe(403);
    expect(await variablesOf(call.CallSid)).toEqual(EXPECTED);
  });
});
