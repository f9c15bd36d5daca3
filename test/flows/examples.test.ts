/**
 * Every example flow, played through the emulator end to end with the helper users have too
 * (test/support/phone.ts): the app on the local host, signed webhooks, real Azurite.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SMS_REPLY, DEFAULT_VOICE_GREETING } from '../../lib/config/settings';
import type { FakeAnswer, FakeHandler } from '../support/fakeEndpoint';
import { startPhone, type Phone } from '../support/phone';

/** One phone per flow file, started before its tests and closed after. */
function withPhone(
  flows: string | undefined,
  settings: Record<string, string> = {},
  endpoints: Record<string, FakeHandler | FakeAnswer> = {},
): () => Phone {
  let phone: Phone;
  beforeAll(async () => {
    phone = await startPhone({ ...(flows ? { flows } : {}), settings, endpoints });
  });
  afterAll(() => phone.close());
  return () => phone;
}

describe('the default flows.json: the seed', () => {
  const phone = withPhone(undefined);

  it('answers a call with VOICE_GREETING and a text with SMS_REPLY', async () => {
    const call = await phone().call();
    expect(call.heard).toEqual([`Say: ${DEFAULT_VOICE_GREETING}`]);
    expect(call.path).toBe('greeting');
    const text = await phone().text('hi');
    expect(text.replies).toEqual([{ to: '+15550100199', body: DEFAULT_SMS_REPLY, media: [] }]);
    expect(text.rule).toBe('default');
  });
});

describe('flows/examples/ivr.json', () => {
  const phone = withPhone('flows/examples/ivr.json');

  it("takes the caller's inputs in the order given: keys, silence, then words", async () => {
    const call = await phone().call({ inputs: ['3', 'silence', 'say:sales'] });
    expect(call.path).toBe(
      'welcome · menu · pressed 3 · hours · menu · no input, asked again · said "sales" · sales · dial +15550100001 completed',
    );
  });

  it('option 2 rings support, one number after the other, then the operator, then takes a voicemail', async () => {
    const call = await phone().call({ digits: ['2', '#'], dialOutcome: 'no-answer' });
    expect(call.path).toBe(
      'welcome · menu · pressed 2 · support · dial +15550100002 no-answer · dial +15550100003 no-answer · operator · dial +15550100000 no-answer · voicemail · recorded 5 s · goodbye',
    );
    expect(call.heard).toContain('Say: Connecting you to support.');
    expect(call.heard).toContain(
      'Say: Sorry, nobody could take your call. Please leave a message after the beep, and press the pound key when you are done.',
    );
    expect(call.heard.slice(-2)).toEqual(['Say: Thanks for your message. We will call you back. Goodbye.', 'Hangup:']);
  });

  it('plays, pauses and redirects: the welcome, the menu, the hours and back to the menu', async () => {
    const call = await phone().call({ digits: ['3', '1'] });
    expect(call.heard[0]).toBe('Play: https://demo.twilio.com/docs/classic.mp3');
    expect(call.heard).toContain('  Pause: 1 s');
    expect(call.heard).toContain('Say: We are open from 9 to 5, Monday to Friday.');
    expect(call.path).toBe(
      'welcome · menu · pressed 3 · hours · menu · pressed 1 · sales · dial +15550100001 completed',
    );
  });

  it('understands speech, and asks again once before handing an unknown answer to the operator', async () => {
    expect((await phone().call({ speech: ['I need support please'] })).path).toMatch(
      /^welcome · menu · said "I need support please" · support · /,
    );
    const lost = await phone().call({ digits: ['9', '8'] });
    expect(lost.path).toBe(
      'welcome · menu · pressed 9 · no match, asked again · pressed 8 · no match · operator · dial +15550100000 completed',
    );
    expect(lost.heard).toContain("Say: Sorry, I didn't get that.");
  });

  it('silence: asked again, then the operator', async () => {
    const call = await phone().call();
    expect(call.path).toBe(
      'welcome · menu · no input, asked again · no input · operator · dial +15550100000 completed',
    );
  });
});

describe('flows/examples/voicemail.json', () => {
  const phone = withPhone('flows/examples/voicemail.json');

  it('an answered call is connected after a whisper to the owner, then the line hangs up', async () => {
    const call = await phone().call({ dialOutcome: 'completed' });
    expect(call.heard).toEqual([
      expect.stringMatching(/^Dial: \+15550100000: completed/),
      '  Say: Call from +15550100199.',
      'Hangup:',
    ]);
    expect(call.path).toBe('forward · dial +15550100000 completed');
    expect(call.texts).toEqual([]);
  });

  it('no answer: voicemail, kept on the record, texted to the owner with its transcription; the caller gets a thank-you text', async () => {
    const call = await phone().call({
      dialOutcome: 'no-answer',
      digits: ['#'],
      recordingSeconds: 14,
      transcription: 'Please call me back about my order.',
    });
    expect(call.path).toBe(
      'forward · dial +15550100000 no-answer · voicemail · recorded 14 s · thanks · transcription "Please call me back about my order."',
    );
    expect(call.heard.some((heard) => heard.startsWith('Record: beep, recorded 14 s'))).toBe(true);
    // The thank-you goes through the Messages API (the outbound queue), not the deprecated <Sms> verb.
    expect(call.heard.filter((heard) => heard.startsWith('Sms'))).toEqual([]);
    expect(call.texts.filter((text) => text.to === '+15550100199').map((text) => text.body)).toEqual([
      'Thanks for calling. We got your voicemail and will call you back soon.',
    ]);
    const owner = call.texts.filter((text) => text.to === '+15550100000').map((text) => text.body);
    expect(owner).toHaveLength(2);
    expect(owner[0]).toMatch(
      /^Voicemail from \+15550100199, 14 s: http:\/\/127\.0\.0\.1:\d+\/2010-04-01\/Accounts\/AC\w+\/Recordings\/RE\w+$/,
    );
    expect(owner[1]).toBe('Transcription of the voicemail from +15550100199: Please call me back about my order.');
    const record = (await (await fetch(`${phone().appUrl}/api/calls/${call.sid}`)).json()) as {
      recordings: string[];
      events: Array<{ recordingSid?: string; transcription?: string }>;
    };
    expect(record.recordings).toHaveLength(1);
    expect(record.recordings[0]).toMatch(/\/Recordings\/RE\w+$/);
    expect(record.events.filter((event) => event.transcription !== undefined)).toHaveLength(1);
  });

  it('busy goes to voicemail too', async () => {
    expect((await phone().call({ dialOutcome: 'busy', digits: ['#'] })).path).toMatch(
      /^forward · dial \+15550100000 busy · voicemail · recorded 5 s · thanks/,
    );
  });
});

describe('flows/examples/business-hours.json', () => {
  // The example's own schedule is checked at fixed times in test/lib/flows; here its steps run
  // with the schedule made open now, and closed today, so the test does not depend on the clock.
  const example = JSON.parse(readFileSync('flows/examples/business-hours.json', 'utf8')) as {
    hours: { weekly: unknown; closures: string[]; timeZone: string };
  };
  const dir = mkdtempSync(join(tmpdir(), 'flows-'));
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: example.hours.timeZone }).format(new Date());
  const always = ['00:00-24:00'];
  const variant = (name: string, hours: object) => {
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify({ ...example, $schema: undefined, hours: { ...example.hours, ...hours } }));
    return file;
  };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe('open', () => {
    const phone = withPhone(
      variant('open', {
        weekly: { mon: always, tue: always, wed: always, thu: always, fri: always, sat: always, sun: always },
        closures: [],
      }),
    );
    it('rings the office, and texts get the open reply', async () => {
      expect((await phone().call()).path).toBe('office · dial +15550100000 completed');
      expect((await phone().text('are you there?')).replies.map((reply) => reply.body)).toEqual([
        'Thanks for your text. We will answer shortly.',
      ]);
    });
  });

  describe('closed on a closure date', () => {
    const phone = withPhone(
      variant('closed', {
        weekly: { mon: always, tue: always, wed: always, thu: always, fri: always, sat: always, sun: always },
        closures: [today],
      }),
    );
    it('takes a message, and texts get the closed reply', async () => {
      const call = await phone().call({ digits: ['#'], recordingSeconds: 8 });
      expect(call.path).toBe('closed · recorded 8 s');
      expect(call.heard.at(-1)).toBe('Say: Thank you. Goodbye.');
      const text = await phone().text('are you there?');
      expect(text.replies.map((reply) => reply.body)).toEqual([
        expect.stringMatching(/^Thanks for your text\. We are closed now/),
      ]);
      expect(text.rule).toBe('closed');
    });
  });
});

describe('flows/examples/blocklist.json', () => {
  const phone = withPhone('flows/examples/blocklist.json', { VOICE_GREETING: 'Hello from the blocklist example' });

  it('rejects a listed number and a listed prefix unanswered, and greets everyone else', async () => {
    const blocked = await phone().call({ from: '+15550100666' });
    expect(blocked.heard).toEqual(['Reject: reason rejected']);
    expect(blocked.status).toBe('no-answer');
    expect(blocked.path).toBe('blocked: rejected');
    expect((await phone().call({ from: '+19005550123' })).heard).toEqual(['Reject: reason rejected']);
    expect((await phone().call({ from: '+15550100777' })).heard).toEqual(['Say: Hello from the blocklist example']);
  });

  it('texts from a blocked number get no reply, and are recorded', async () => {
    expect(await phone().text('hello', { from: '+15550100666' })).toEqual({ replies: [], rule: 'blocked' });
  });
});

describe('flows/examples/sms-keywords.json', () => {
  const phone = withPhone('flows/examples/sms-keywords.json');

  it('keywords, whatever the case, answer with their reply and media', async () => {
    expect((await phone().text(' hours ')).replies.map((reply) => reply.body)).toEqual([
      'We are open from 9 to 5, Monday to Friday.',
    ]);
    expect((await phone().text('Open')).rule).toBe('keyword HOURS');
    expect((await phone().text('MENU')).replies).toEqual([
      { to: '+15550100199', body: "Here is this week's menu.", media: ['https://demo.twilio.com/owl.png'] },
    ]);
  });

  it('AGENT forwards the text to the owner and tells the sender', async () => {
    const text = await phone().text('agent where is my order?', { from: '+15550100123' });
    expect(text.replies).toEqual([
      { to: '+15550100000', body: 'Text from +15550100123: agent where is my order?', media: [] },
      { to: '+15550100123', body: 'Thanks, a person will text you back shortly.', media: [] },
    ]);
  });

  it('anything else gets the default reply; STOP, HELP and the other carrier keywords get none and are recorded', async () => {
    expect((await phone().text('what do you sell?')).rule).toBe('default');
    for (const keyword of ['STOP', 'stop.', 'Unsubscribe', 'HELP', 'start']) {
      const text = await phone().text(keyword);
      expect(text.replies, keyword).toEqual([]);
      expect(text.rule, keyword).toMatch(/^(opt-out|opt-in|help) keyword [A-Z]+: left to the carrier and Twilio$/);
    }
  });
});

describe('flows/examples/crm-lookup.json', () => {
  const CRM = 'https://crm.example.com';
  const customers: Record<string, object> = {
    '+15550100301': { name: 'Grace', tier: 'standard' },
    '+15550100302': { name: 'Ada', tier: 'vip', manager: 'alice' },
  };
  const phone = withPhone('flows/examples/crm-lookup.json', { CRM_TOKEN: 'crm-token-for-tests' }, { [CRM]: {} });
  const crm = () => phone().endpoints[CRM]!;
  const lookUp: FakeHandler = (request) => {
    const customer = customers[request.query.get('phone') ?? ''];
    return customer ? { json: customer } : { status: 404, json: { error: 'not found' } };
  };

  it('a VIP is greeted by name and put through to their account manager; the CRM got the token and the number', async () => {
    crm().answer(lookUp);
    const call = await phone().call({ from: '+15550100302' });
    expect(call.heard.slice(0, 2)).toEqual([
      'Say: Welcome back, Ada.',
      'Say: Putting you through to Alice, your account manager.',
    ]);
    expect(call.path).toMatch(
      /^lookup · http crm: ok 200 in \d+ ms → known · .*: alice · dial \+15550100011 completed$/,
    );
    const request = crm().requests.at(-1)!;
    expect(request.path).toBe('/customers');
    expect(request.query.get('phone')).toBe('+15550100302');
    expect(request.headers.authorization).toBe('Bearer crm-token-for-tests');
  });

  it('a known customer is greeted by name, then hears the menu', async () => {
    crm().answer(lookUp);
    const call = await phone().call({ from: '+15550100301', digits: ['1'] });
    expect(call.heard[0]).toBe('Say: Welcome back, Grace.');
    expect(call.heard).toContain('Say: Connecting you to sales.');
    expect(call.path).toMatch(
      /^lookup · http crm: ok 200 in \d+ ms → known · .*: menu · pressed 1 · sales · dial \+15550100001 completed$/,
    );
  });

  it('a caller the CRM does not know goes to the menu', async () => {
    crm().answer(lookUp);
    const call = await phone().call({ from: '+15550100399', digits: ['2'] });
    expect(call.heard.some((line) => line.includes('Welcome back'))).toBe(false);
    expect(call.path).toMatch(/^lookup · http crm: failed 404 .*in \d+ ms → menu · pressed 2 · support/);
  });

  it('the CRM down: the caller reaches the menu', async () => {
    crm().answer({ fail: true });
    const call = await phone().call({ from: '+15550100302', digits: ['1'] });
    expect(call.path).toMatch(/^lookup · http crm: failed \(could not connect.*→ menu · pressed 1 · sales/);
  });

  it('the CRM hanging 30 s: the caller is answered within 10 s, at the menu', async () => {
    crm().answer({ delayMs: 30_000, json: customers['+15550100302'] });
    const started = Date.now();
    const call = await phone().call({ from: '+15550100302', digits: ['2'] });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(call.path).toMatch(/^lookup · http crm: failed \(.*→ menu · pressed 2 · support/);
  }, 20_000);
});

describe('flows/examples/order-status.json', () => {
  const phone = withPhone('flows/examples/order-status.json');

  it('"ORDER 1234" is answered with the order\'s status by the hook hooks/orderStatus.ts', async () => {
    const text = await phone().text('ORDER 1234');
    expect(text.replies.map((reply) => reply.body)).toEqual(['Order 1234 is shipped on Monday and arrives Thursday.']);
  });

  it('an unknown order gets a polite answer; ORDER alone the hint', async () => {
    expect((await phone().text('order 4444')).replies.map((reply) => reply.body)).toEqual([
      'Sorry, we could not find an order numbered 4444. Please check the number and try again.',
    ]);
  });

  it('a hook that throws is the failed outcome: an apology, the stack in the log, never in the reply', async () => {
    phone().logs.length = 0;
    const text = await phone().text('ORDER 9001');
    expect(text.replies.map((reply) => reply.body)).toEqual([
      'Sorry, we cannot look up orders right now. Please try again later.',
    ]);
    const logs = phone().logs.join('\n');
    expect(logs).toContain('order 9001 is in the archive');
    expect(logs).toMatch(/at .*orderStatus/);
  });

  it('other texts get the default reply', async () => {
    expect((await phone().text('hello')).replies[0]!.body).toMatch(
      /Text ORDER and your order number for its status\.$/,
    );
  });
});

describe('flows/examples/pin-check.json', () => {
  const phone = withPhone('flows/examples/pin-check.json');

  it('the right PIN first time connects the call', async () => {
    const call = await phone().call({ digits: ['4321'] });
    expect(call.heard).toContain('Say: Thank you. Connecting you now.');
    expect(call.path).toMatch(/welcome · dial \+15550100000 completed$/);
  });

  it('two wrong tries, then the right one', async () => {
    const call = await phone().call({ digits: ['1111', '2222', '4321'] });
    expect(call.heard.filter((line) => line === 'Say: That PIN is not right.')).toHaveLength(2);
    expect(call.heard).toContain('Say: Thank you. Connecting you now.');
  });

  it('three wrong tries end the call; the PIN never shows on the record', async () => {
    const call = await phone().call({ digits: ['1111', '2222', '3333'] });
    expect(call.heard.filter((line) => line === 'Say: That PIN is not right.')).toHaveLength(2);
    expect(call.path).toMatch(/pressed 3333 · no match · check · .*: goodbye$/);
    expect(call.heard.slice(-2)).toEqual(['Say: Sorry, we could not check your PIN. Goodbye.', 'Hangup:']);
    const record = (await (await fetch(`${phone().appUrl}/api/calls/${call.sid}`)).json()) as {
      variables?: Record<string, unknown>;
    };
    expect(record.variables?.tries).toBe('3');
    expect(JSON.stringify(record)).not.toContain('4321');
  });
});
