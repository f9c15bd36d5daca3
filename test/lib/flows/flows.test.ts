import { kindsOf } from '../../../lib/flows/actions';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { flowSchemaText } from '../../../dev/flowsSchema';
import { readLocalSettings } from '../../../dev/localSettings';
import { loadSettings } from '../../../lib/config/settings';
import { isOpen } from '../../../lib/flows/hours';
import { FlowFileError, getFlows, readFlowFile } from '../../../lib/flows/load';
import { answerMessage } from '../../../lib/flows/messaging';
import { DEFAULT_FLOWS, flowFileSchema, type FlowFile } from '../../../lib/flows/schema';
import { answerCall, answerCallback, stepGone, whisperTwiml, type CallText } from '../../../lib/flows/voice';
import { ROOT } from '../../support/appHost';
import { baseSettings } from '../../support/settings';

const settings = loadSettings({ ...baseSettings, VOICE_GREETING: 'Hi there', SMS_REPLY: 'Thanks!' });
const dir = mkdtempSync(join(tmpdir(), 'flow-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The problems a flow file is refused with, one line each (without line and column: JSON.stringify writes one line). */
function problemsOf(flows: unknown): string[] {
  return placedProblemsOf(flows).map((line) => line.replace(/^flows\.json:\d+:\d+: /, 'flows.json: '));
}

/** The problems with their line and column: `flows.json:5:12: voice…: …`. */
function placedProblemsOf(flows: unknown): string[] {
  const file = join(dir, `flow-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, typeof flows === 'string' ? flows : JSON.stringify(flows));
  try {
    readFlowFile(file, 'flows.json');
    return [];
  } catch (error) {
    if (!(error instanceof FlowFileError)) throw error;
    return error.lines;
  }
}

const flow = (voice: object, rest: object = {}) => ({ voice: { entry: 'menu', ...voice }, ...rest });

/** Every action kind the registry has, as the message lists them. */
const VOICE_KINDS = kindsOf('voice');
const ONE_OF = `${VOICE_KINDS.slice(0, -1).join(', ')} or ${VOICE_KINDS.at(-1)}`;

describe('flows.schema.json', () => {
  it('is generated from the zod schema (npm run flows:schema writes it)', async () => {
    expect(readFileSync(join(ROOT, 'flows.schema.json'), 'utf8')).toBe(flowSchemaText());
  });

  it('accepts flows.json and every example, and each example names it as its $schema', () => {
    const files = [
      'flows.json',
      ...readdirSync(join(ROOT, 'flows/examples'))
        .filter((name) => name.endsWith('.json'))
        .map((name) => `flows/examples/${name}`),
    ];
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const file of files) {
      const json = JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as { $schema: string };
      expect(() => readFlowFile(join(ROOT, file)), file).not.toThrow();
      expect(new URL(json.$schema, `file://${join(ROOT, file)}`).pathname, file).toBe(join(ROOT, 'flows.schema.json'));
    }
  });
});

describe('the flow file this checkout runs', () => {
  // PHONE_FLOWS from the environment or local.settings.json, as npm start reads it, so that
  // npm test fails on the file the line really uses.
  const named = readLocalSettings(ROOT).PHONE_FLOWS ?? process.env.PHONE_FLOWS;

  it(`validates: ${named ?? 'flows.json'}`, async () => {
    expect(() => getFlows({ PHONE_FLOWS: named || undefined }, ROOT)).not.toThrow();
  });

  it('and the examples together use every verb the seed lists, and every logic action', async () => {
    const used = new Set<string>();
    for (const name of readdirSync(join(ROOT, 'flows/examples')).filter((file) => file.endsWith('.json'))) {
      const flows = readFlowFile(join(ROOT, 'flows/examples', name));
      for (const step of Object.values(flows.voice?.steps ?? {})) {
        for (const action of step.actions) {
          Object.keys(action).forEach((verb) => used.add(verb));
          if ('gather' in action)
            [action.gather.prompt ?? []]
              .flat()
              .forEach((prompt) =>
                typeof prompt === 'string' ? used.add('say') : Object.keys(prompt).forEach((verb) => used.add(verb)),
              );
        }
      }
      if (flows.voice && flows.blocklist && typeof flows.voice.blocked === 'string') used.add('reject');
      if (flows.messaging?.rules.some((rule) => rule.reply !== undefined)) used.add('message');
      for (const rule of flows.messaging?.rules ?? [])
        for (const action of rule.actions ?? []) Object.keys(action as object).forEach((verb) => used.add(verb));
    }
    expect([...used].sort()).toEqual([
      'code',
      'dial',
      'gather',
      'hangup',
      'http',
      'message',
      'pause',
      'play',
      'record',
      'redirect',
      'reject',
      'say',
      'set',
      'sms',
      'switch',
    ]);
  });
});

describe('a flow file that does not validate', () => {
  it('names each problem by its path in the file', async () => {
    const problems = problemsOf(
      flow({
        steps: {
          menu: { actions: [{ say: 'Welcome' }, { gather: { branches: { '1': 'menu', '7': 'sales' } } }] },
        },
      }),
    );
    expect(problems).toEqual(['flows.json: voice.steps.menu.actions[1].gather.branches.7: unknown step "sales"']);
  });

  it('names the problem inside the action it was meant to be, not "invalid input"', async () => {
    expect(
      problemsOf(
        flow({
          steps: {
            menu: {
              actions: [
                { dial: { timeout: 5 } },
                { dial: { to: ['+15550100000', '555'] } },
                { play: 'http://insecure.example/a.mp3' },
                { speak: 'hi' },
                { say: 'a', hangup: true },
                { pause: 0 },
                { gather: { branches: { x: 'menu' } } },
              ],
            },
          },
        }),
      ),
    ).toEqual([
      'flows.json: voice.steps.menu.actions[0].dial.to: is required',
      'flows.json: voice.steps.menu.actions[1].dial.to[1]: must be a number in E.164 (+15550100000), client:<name> or a sip: URI',
      'flows.json: voice.steps.menu.actions[2].play: must be an https URL',
      `flows.json: voice.steps.menu.actions[3]: must be one action: ${ONE_OF}, each alone in its object`,
      `flows.json: voice.steps.menu.actions[4]: must be one action: ${ONE_OF}, each alone in its object`,
      'flows.json: voice.steps.menu.actions[5].pause: must be at least 1 second',
      'flows.json: voice.steps.menu.actions[6].gather.branches.x: is not a valid key: must be keys: digits, * or #',
    ]);
  });

  it('reports unreachable steps, redirect loops, closed without hours, and unknown entry steps', async () => {
    expect(
      problemsOf(
        flow({
          entry: 'start',
          closed: 'menu',
          steps: {
            menu: { actions: [{ say: 'a' }, { redirect: { step: 'again' } }] },
            again: { actions: [{ redirect: { step: 'menu' } }] },
            orphan: { actions: [{ hangup: true }] },
          },
        }),
      ),
    ).toEqual([
      'flows.json: voice.closed: needs "hours" at the top of the file to know when the line is closed',
      'flows.json: voice.entry: unknown step "start"',
      'flows.json: voice.steps.orphan: is unreachable: no entry, branch, outcome or redirect leads to it',
      'flows.json: voice.steps.menu.actions[1].redirect: redirect loop: menu → again → menu never waits for the caller',
    ]);
  });

  it('refuses carrier keywords as rules, settings other than the greeting and reply, bad patterns, time zones and spans', async () => {
    expect(
      problemsOf({
        hours: { timeZone: 'Mars/Olympus', weekly: { mon: ['17:00-09:00'] } },
        messaging: {
          rules: [
            { keyword: ['Stop', 'JOIN'], reply: 'bye' },
            { pattern: '(', reply: 'x' },
            { keyword: 'A', startsWith: 'B' },
          ],
          reply: 'Token: {TWILIO_AUTH_TOKEN}, from {From}',
        },
      }),
    ).toEqual([
      'flows.json: hours.timeZone: must be an IANA time zone, like America/New_York',
      'flows.json: hours.weekly.mon[0]: must end after it starts',
      'flows.json: messaging.rules[1].pattern: is not a pattern the linear-time engine (RE2) can run: missing closing ): `(`',
      'flows.json: messaging.rules[2]: give at most one of keyword, startsWith or pattern',
    ]);
    expect(
      problemsOf({
        messaging: {
          rules: [{ keyword: ['Stop', 'JOIN'], reply: 'bye' }],
          reply: 'Token: {TWILIO_AUTH_TOKEN}, from {From}',
        },
      }),
    ).toEqual([
      'flows.json: messaging.rules[0].keyword: "Stop" is an opt-out keyword: carriers and Twilio answer it, a flow never does',
      'flows.json: messaging.reply: {TWILIO_AUTH_TOKEN} is not something a flow can read: of the settings only {{ settings.VOICE_GREETING }} and {{ settings.SMS_REPLY }} are',
      'flows.json: messaging.reply: {From} is the old placeholder syntax: write {{ trigger.call.From }} (in a text rule, {{ trigger.message.From }})',
    ]);
  });

  it('names a code action whose hook the app does not have, and the hooks it has', () => {
    const step = (hook: string) => ({ actions: [{ code: { hook, ok: 'done' } }] });
    expect(
      problemsOf({
        voice: { entry: 'menu', steps: { menu: step('orderStatus'), done: { actions: [{ hangup: true }] } } },
        messaging: { rules: [{ keyword: 'x', actions: [{ code: { hook: 'crmLookup' } }] }] },
      }),
    ).toEqual([
      expect.stringMatching(
        /^flows\.json: messaging\.rules\[0\]\.actions\[0\]\.code\.hook: no hook "crmLookup": write hooks\/crmLookup\.ts \(the hooks are .*orderStatus/,
      ),
    ]);
  });

  it('that is not JSON, or is missing when PHONE_FLOWS names it, says so', async () => {
    expect(problemsOf('{ "voice": ')).toEqual([expect.stringMatching(/^flows\.json: \(the file\): is not JSON: /)]);
    expect(() => getFlows({ PHONE_FLOWS: 'no-such-flows.json' }, dir)).toThrow(FlowFileError);
    expect(getFlows({ PHONE_FLOWS: undefined }, dir)).toBe(DEFAULT_FLOWS);
  });
});

const call = {
  CallSid: 'CA0123456789abcdef0123456789abcdef',
  From: '+15550100199',
  To: '+15005550006',
  CallStatus: 'ringing',
};
const parse = (flows: object): FlowFile => flowFileSchema.parse(flows);

describe('a problem in a flow file', () => {
  const file = (text: string) => placedProblemsOf(text.trim());

  it('names the line and column of the value it is about, and of a syntax error', () => {
    expect(
      file(`
{
  "voice": {
    "entry": "menu",
    "steps": {
      "menu": { "actions": [{ "dial": { "to": "15550100000" } }] }
    }
  }
}`),
    ).toEqual([
      'flows.json:5:47: voice.steps.menu.actions[0].dial.to: must be a number in E.164 (+15550100000), client:<name> or a sip: URI, or a list of up to 10 of them',
    ]);
    expect(file('{\n  "voice": {\n    "entry": "menu",\n  }\n}')).toEqual([
      'flows.json:4:3: (the file): is not JSON: a "name" expected (a comma too many before } ?)',
    ]);
  });

  it('suggests the nearest step name and time zone', () => {
    expect(
      problemsOf({
        hours: { timeZone: 'America/New_Yrok', weekly: {} },
        voice: { entry: 'menu', steps: { menu: { actions: [{ say: 'Hi' }] } } },
      }),
    ).toEqual([
      'flows.json: hours.timeZone: must be an IANA time zone, like America/New_York; did you mean "America/New_York"?',
    ]);
    expect(
      problemsOf(
        flow({
          steps: {
            menu: { actions: [{ gather: { branches: { '1': 'emergancy', '2': 'menu' } } }] },
            emergency: { actions: [{ say: 'Call 911.' }] },
          },
        }),
      ),
    ).toEqual([
      'flows.json: voice.steps.menu.actions[0].gather.branches.1: unknown step "emergancy"; did you mean "emergency"?',
      'flows.json: voice.steps.emergency: is unreachable: no entry, branch, outcome or redirect leads to it',
    ]);
  });

  it('reports a gather with no branches or keywords as the gather, even when nothing else is wrong', () => {
    expect(
      problemsOf(flow({ steps: { menu: { actions: [{ gather: { prompt: 'Press 1.', otherwise: 'menu' } }] } } })),
    ).toEqual([
      expect.stringMatching(/^flows\.json: voice\.steps\.menu\.actions\[0\]\.gather: has no branches or keywords: /),
    ]);
  });
});

describe('voice TwiML', () => {
  it('by default says VOICE_GREETING, as the seed did', async () => {
    expect((await answerCall(DEFAULT_FLOWS, call, settings)).twiml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hi there</Say></Response>',
    );
  });

  it('inserts what the caller sent as text: it never becomes TwiML', async () => {
    const flows = parse(
      flow({ steps: { menu: { actions: [{ say: 'You said {{ trigger.call.SpeechResult }}' }, { hangup: true }] } } }),
    );
    const answer = await answerCall(
      flows,
      { ...call, SpeechResult: '</Say><Dial>+19005550000</Dial><Say>\u0007' },
      settings,
    );
    expect(answer.twiml).toContain(
      '<Say>You said &lt;/Say&gt;&lt;Dial&gt;+19005550000&lt;/Dial&gt;&lt;Say&gt;</Say><Hangup/>',
    );
    expect(answer.twiml).not.toContain('<Dial>');
  });

  it('stops at the first action that waits, and points its action at a signed route with the step, the index and the turn', async () => {
    const flows = parse(
      flow({
        steps: {
          menu: {
            actions: [
              { say: 'Hi' },
              { gather: { prompt: 'Press 1', numDigits: 1, branches: { '1': 'menu' } } },
              { say: 'never in this document' },
            ],
          },
        },
      }),
    );
    expect((await answerCall(flows, call, settings)).twiml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hi</Say><Gather input="dtmf" action="/api/twilio/flow/gather?step=menu&amp;at=1&amp;try=1&amp;turn=1" method="POST" actionOnEmptyResult="true" numDigits="1"><Say>Press 1</Say></Gather></Response>',
    );
  });

  it('a callback for a step the flow no longer has is not answered here (the route apologises and starts over)', async () => {
    const flows = parse(flow({ steps: { menu: { actions: [{ say: 'Hi' }] } } }));
    expect(await answerCallback('gather', { step: 'gone', at: 0, turn: 3 }, flows, call, settings)).toBeUndefined();
    expect(await answerCallback('gather', { step: 'menu', at: 5, turn: 3 }, flows, call, settings)).toBeUndefined();
    expect(
      await answerCallback('gather', { step: 'constructor', at: 0, turn: 3 }, flows, call, settings),
    ).toBeUndefined();
  });

  it('dials clients and SIP, with a whisper and recording, and sends texts during the call', async () => {
    const flows = parse(
      flow({
        steps: {
          menu: {
            actions: [
              { sms: { text: 'Call from {{ trigger.call.From }}', to: '+15550100000' } },
              {
                dial: {
                  to: ['client:alice', 'sip:bob@example.com'],
                  callerId: '+15005550006',
                  record: true,
                  whisper: 'Hi',
                },
              },
            ],
          },
        },
      }),
    );
    const outbox: CallText[] = [];
    const twiml = (await answerCall(flows, call, settings, undefined, { outbox })).twiml;
    expect(twiml).not.toContain('<Sms');
    expect(outbox).toEqual([
      { key: `call-sms|${call.CallSid}|0|menu|0`, to: '+15550100000', from: call.To, body: 'Call from +15550100199' },
    ]);
    expect(twiml).toContain(
      'callerId="+15005550006" record="record-from-answer" recordingStatusCallback="/api/twilio/flow/recording?step=menu&amp;at=1"',
    );
    expect(twiml).toContain(
      '<Client url="/api/twilio/flow/whisper?step=menu&amp;at=1" method="POST">alice</Client><Sip url="/api/twilio/flow/whisper?step=menu&amp;at=1" method="POST">sip:bob@example.com</Sip>',
    );
  });
});

describe('business hours', () => {
  const example = parse(JSON.parse(readFileSync(join(ROOT, 'flows/examples/business-hours.json'), 'utf8')));
  const at = (iso: string) => isOpen(example.hours!, new Date(iso));

  it("follow the schedule's time zone, spans and closure dates", async () => {
    expect(at('2026-11-24T14:00:00Z')).toBe(true); // Tuesday 09:00 in New York
    expect(at('2026-11-24T13:59:00Z')).toBe(false); // 08:59
    expect(at('2026-11-24T22:00:00Z')).toBe(false); // 17:00: the span ends before it
    expect(at('2026-11-27T17:30:00Z')).toBe(false); // Friday 12:30, the lunch break
    expect(at('2026-11-28T15:00:00Z')).toBe(false); // Saturday
    expect(at('2026-12-25T15:00:00Z')).toBe(false); // a Friday, but a closure date
    expect(at('2026-07-07T13:30:00Z')).toBe(true); // 09:30 in summer time (UTC-4)
  });

  it('route a call to the closed step, and a text to the closed rule, when closed', async () => {
    const closed = new Date('2026-12-25T15:00:00Z');
    expect((await answerCall(example, call, settings, closed)).facts).toEqual({
      turn: 0,
      outcome: 'closed',
      step: 'closed',
    });
    expect((await answerCall(example, call, settings, new Date('2026-11-24T15:00:00Z'))).facts).toEqual({
      turn: 0,
      step: 'office',
    });
    expect((await answerMessage(example, { Body: 'hi', From: '+15550100199' }, settings, closed)).rule).toBe('closed');
  });

  it('do not apply to a call the app placed: it starts at the entry step, whenever it is', async () => {
    const placed = { ...call, Direction: 'outbound-api', From: '+15005550006', To: '+15550100199' };
    expect((await answerCall(example, placed, settings, new Date('2026-12-25T15:00:00Z'))).facts).toEqual({
      turn: 0,
      step: 'office',
    });
  });
});

describe('messaging TwiML', () => {
  it('by default replies SMS_REPLY, as the seed did', async () => {
    expect(await answerMessage(DEFAULT_FLOWS, { Body: 'hi', From: '+15550100199' }, settings)).toEqual({
      twiml: '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Thanks!</Message></Response>',
      rule: 'default',
      forwards: [],
      replies: true,
    });
  });

  it('forwards with the sender and the text, cut to what one message holds', async () => {
    const flows = parse({ messaging: { rules: [{ forward: ['+15550100000', '+15550100001'] }] } });
    const answer = await answerMessage(flows, { Body: 'x'.repeat(2000), From: '+15550100199' }, settings);
    // Forwards are queued by the webhook (lib/outbound), not answered as TwiML.
    expect(answer.twiml).not.toContain('<Message');
    const forwards = answer.forwards;
    expect(forwards.map((forward) => forward.to)).toEqual(['+15550100000', '+15550100001']);
    expect(forwards[0]!.body).toMatch(/^From \+15550100199: x+$/);
    expect(forwards[0]!.body).toHaveLength(1600);
    expect(answer.rule).toBe('rule 1');
  });
});

describe("the flow's voice and language", () => {
  const spanish = parse(
    flow({
      voice: 'Polly.Lupe',
      language: 'es-US',
      steps: {
        menu: {
          actions: [
            { say: 'Hola' },
            { say: { text: 'Hello', voice: 'Polly.Joanna', language: 'en-US' } },
            {
              gather: {
                prompt: 'Marque 1',
                reprompt: 'No le entendí.',
                retries: 1,
                branches: { '1': 'ventas' },
              },
            },
          ],
        },
        ventas: { actions: [{ dial: { to: '+15550100001', whisper: 'Llamada de ventas' } }] },
      },
    }),
  );
  const lupe = 'voice="Polly.Lupe" language="es-US"';

  it("is every say's, unless a say names its own: prompts and re-prompts too", async () => {
    const twiml = (await answerCall(spanish, call, settings)).twiml;
    expect(twiml).toContain(`<Say ${lupe}>Hola</Say><Say voice="Polly.Joanna" language="en-US">Hello</Say>`);
    expect(twiml).toContain(`<Say ${lupe}>Marque 1</Say>`);
    const again = await answerCallback('gather', { step: 'menu', at: 2, try: 1, turn: 1 }, spanish, call, settings);
    expect(again?.twiml).toContain(`<Say ${lupe}>No le entendí.</Say><Gather`);
    expect(again?.twiml).toContain(`<Say ${lupe}>Marque 1</Say></Gather>`);
  });

  it('is the "no longer available" apology\'s and the whisper\'s', () => {
    expect(stepGone(spanish, { step: 'gone', turn: 2 }, settings, call).twiml).toContain(
      `<Say ${lupe}>Sorry, that option is no longer available.</Say>`,
    );
    expect(whisperTwiml(spanish, { step: 'ventas', at: 0 }, call, settings)).toBe(
      `<?xml version="1.0" encoding="UTF-8"?><Response><Say ${lupe}>Llamada de ventas</Say></Response>`,
    );
  });

  it('leaves says without attributes when the flow names none, as before', async () => {
    const plain = parse(flow({ steps: { menu: { actions: [{ say: 'Hi' }] } } }));
    expect((await answerCall(plain, call, settings)).twiml).toContain('<Say>Hi</Say>');
  });
});

describe('record with transcribe', () => {
  const recording = (maxLength?: number) =>
    flow({
      steps: { menu: { actions: [{ record: { transcribe: true, ...(maxLength ? { maxLength } : {}) } }] } },
    });

  it("is refused at start with a maxLength outside Twilio's transcription window, naming it", async () => {
    const refusal =
      'flows.json: voice.steps.menu.actions[0].record.maxLength: must be 2 to 120 s with transcribe: Twilio transcribes recordings of 2 to 120 s only (error 13617)';
    expect(problemsOf(recording(300))).toEqual([refusal]);
    expect(problemsOf(recording(1))).toEqual([refusal]);
  });

  it('is accepted within it, or without maxLength', async () => {
    expect(problemsOf(recording(120))).toEqual([]);
    expect(problemsOf(recording(2))).toEqual([]);
    expect(problemsOf(recording())).toEqual([]);
  });
});

describe('a call the app placed with machine detection', () => {
  const flows = parse(
    flow({
      machine: 'message',
      steps: {
        menu: { actions: [{ say: 'Press 1 to confirm.' }] },
        message: { actions: [{ say: 'Please call us back.' }] },
      },
    }),
  );
  const placed = { ...call, Direction: 'outbound-api', From: '+15005550006', To: '+15550100199' };

  it.each(['machine_end_beep', 'machine_start', 'fax'])(
    'answered by %s starts at voice.machine',
    async (answeredBy) => {
      const answer = await answerCall(flows, { ...placed, AnsweredBy: answeredBy }, settings);
      expect(answer.twiml).toContain('<Say>Please call us back.</Say>');
      expect(answer.facts).toEqual({ turn: 0, outcome: `answered by ${answeredBy}`, step: 'message' });
    },
  );

  it('placed into a step (flow.step), a machine still goes to voice.machine on the first turn', async () => {
    const step = { step: 'menu', turn: 1 };
    const machine = await answerCallback('step', step, flows, { ...placed, AnsweredBy: 'machine_end_beep' }, settings);
    expect(machine?.twiml).toContain('Please call us back.');
    expect((await answerCallback('step', step, flows, { ...placed, AnsweredBy: 'human' }, settings))?.twiml).toContain(
      'Press 1',
    );
  });

  it.each(['human', 'unknown', ''])('answered by "%s" starts at the entry step', async (answeredBy) => {
    expect((await answerCall(flows, { ...placed, AnsweredBy: answeredBy }, settings)).twiml).toContain(
      'Press 1 to confirm.',
    );
  });
});
