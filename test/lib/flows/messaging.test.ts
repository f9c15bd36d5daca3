import { describe, expect, it } from 'vitest';
import { answerMessage } from '../../../lib/flows/messaging';
import { flowFileSchema, type FlowFile } from '../../../lib/flows/schema';
import { settings } from './actions/support';

const HOURS = { timeZone: 'UTC', weekly: { mon: ['09:00-17:00'] } };
const OPEN = new Date('2026-11-30T10:00:00Z'); // a Monday, 10:00 UTC
const CLOSED = new Date('2026-11-29T10:00:00Z'); // a Sunday
const text = (Body: string) => ({
  MessageSid: 'SM0123456789abcdef0123456789abcdef',
  From: '+15550100199',
  To: '+15005550006',
  Body,
});
const flows = (messaging: object, rest: object = {}): FlowFile => flowFileSchema.parse({ messaging, ...rest });
/** The one reply of a TwiML answer, whichever way the message was written (text or <Body>). */
const reply = (body: string) =>
  new RegExp(
    `<Response><Message>(<Body>)?${body.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(</Body>)?</Message></Response>$`,
  );

describe('messaging: which rule answers a text', () => {
  const file = flows({
    rules: [
      { keyword: ['hours', 'open'], reply: 'We open at 9' },
      { startsWith: 'order', reply: 'Order noted' },
      { pattern: '^\\d{5}$', reply: 'A zip code' },
      { keyword: 'hours', reply: 'never: the first rule that matches decides' },
    ],
    reply: 'Default',
  });

  it('tries the rules in order, the first that matches decides', async () => {
    expect(await answerMessage(file, text(' Hours! '), settings)).toMatchObject({
      rule: 'keyword hours',
      twiml: expect.stringMatching(reply('We open at 9')),
    });
    expect((await answerMessage(file, text('order 12 pizzas'), settings)).twiml).toMatch(reply('Order noted'));
    expect((await answerMessage(file, text('orders'), settings)).twiml).toMatch(reply('Default'));
    expect((await answerMessage(file, text('90210'), settings)).rule).toBe('pattern ^\\d{5}$');
  });

  it('answers the default reply when no rule matches, nothing when there is none', async () => {
    expect(await answerMessage(file, text('what?'), settings)).toMatchObject({
      rule: 'default',
      twiml: expect.stringMatching(reply('Default')),
    });
    expect((await answerMessage(flows({ rules: [] }), text('what?'), settings)).twiml).not.toContain('<Message');
  });

  it('never answers a carrier keyword, even with a default reply or a rule for any text', async () => {
    const catchAll = flows({ rules: [{ reply: 'anything' }], reply: 'Default' });
    for (const body of ['STOP', 'stop.', 'Unsubscribe', 'HELP', 'start']) {
      const answer = await answerMessage(catchAll, text(body), settings);
      expect(answer.twiml).not.toContain('<Message');
      expect(answer.rule).toMatch(/keyword .*: left to the carrier and Twilio/);
    }
  });

  it('never answers a blocked sender', async () => {
    const answer = await answerMessage(
      flows({ reply: 'Default' }, { blocklist: { numbers: ['+15550100199'] } }),
      text('hi'),
      settings,
    );
    expect(answer).toMatchObject({ rule: 'blocked', forwards: [] });
    expect(answer.twiml).not.toContain('<Message');
  });

  it('applies a rule with "hours" only when the line is open, or closed', async () => {
    const file = flows(
      {
        rules: [
          { hours: 'closed', reply: 'We are closed' },
          { hours: 'open', reply: 'We are open' },
        ],
      },
      { hours: HOURS },
    );
    expect((await answerMessage(file, text('hi'), settings, CLOSED)).twiml).toMatch(reply('We are closed'));
    expect((await answerMessage(file, text('hi'), settings, OPEN)).twiml).toMatch(reply('We are open'));
  });
});

describe('messaging: what a rule does', () => {
  it('puts forwards on the answer for the queue, never in the TwiML', async () => {
    const answer = await answerMessage(
      flows({ rules: [{ keyword: 'help me', forward: ['+15550100111', '+15550100112'], reply: 'Passed on' }] }),
      text('help me'),
      settings,
    );
    expect(answer.forwards).toEqual([
      { to: '+15550100111', body: 'From +15550100199: help me' },
      { to: '+15550100112', body: 'From +15550100199: help me' },
    ]);
    expect(answer.twiml).toMatch(reply('Passed on'));
  });

  it('renders the reply as a template of the text, XML-safe', async () => {
    const answer = await answerMessage(flows({ reply: 'You said {{ trigger.message.Body }}' }), text('<b>&'), settings);
    expect(answer.twiml).toMatch(reply('You said &lt;b&gt;&amp;'));
  });

  it('lets the rule’s actions choose a named reply, and notes what they did', async () => {
    const file = flows({
      rules: [
        {
          startsWith: 'pin',
          reply: 'Not a pin',
          actions: [
            { set: { pin: '{{ trigger.message.Body | remove: "pin " }}' } },
            { switch: { value: '{{ flow.variables.pin }}', cases: [{ matches: '^\\d{4}$', step: 'ok' }] } },
          ],
        },
      ],
      replies: { ok: { reply: 'Pin {{ flow.variables.pin }} accepted' } },
    });
    const chosen = await answerMessage(file, text('pin 1234'), settings);
    expect(chosen.twiml).toMatch(reply('Pin 1234 accepted'));
    expect(chosen.rule).toBe('starts with pin → ok');
    expect((await answerMessage(file, text('pin abc'), settings)).twiml).toMatch(reply('Not a pin'));
  });
});
