import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { flowProblems } from '../../../lib/flows/check';
import { advance, newConversation, pathLine, type ConversationInput } from '../../../lib/flows/conversation';
import { readFlowFile } from '../../../lib/flows/load';
import { flowFileSchema, type MessagingFlow } from '../../../lib/flows/schema';
import type { Conversation } from '../../../lib/records/conversations';
import { settings } from './actions/support';

const LINE = '+15005550006';
const PARTY = '+15550100199';
const T0 = new Date('2026-11-30T10:00:00Z');
const messagingOf = (messaging: object): MessagingFlow => flowFileSchema.parse({ messaging }).messaging!;
const start = () =>
  newConversation({ id: 'CV' + '0'.repeat(32), line: LINE, party: PARTY, origin: 'https://app.example.com' }, T0);
const turn = (now = T0, Body?: string) => ({
  settings,
  now,
  trigger: { From: PARTY, To: LINE, ...(Body !== undefined ? { Body } : {}) },
});
const reply = (body: string, n: number): ConversationInput => ({ type: 'reply', body, messageSid: `SM${n}` });
const texts = (conversation: Conversation) => conversation.lastTexts.map((text) => text.body);

describe('ask in a flow file', () => {
  it('defaults to 1h in messaging steps', () => {
    const parsed = messagingOf({ steps: { q: { actions: [{ ask: { text: 'Hi?' } }] } } });
    expect(parsed.steps.q!.actions[0]).toEqual({ ask: { text: 'Hi?', timeout: '1h' } });
    expect(
      flowFileSchema.safeParse({ messaging: { steps: { q: { actions: [{ ask: { text: 'Hi?', timeout: '30s' } }] } } } })
        .success,
    ).toBe(false);
  });

  it('is refused in a voice step, and voice actions are refused in a messaging step', () => {
    const voice = flowFileSchema.safeParse({
      voice: { entry: 'a', steps: { a: { actions: [{ ask: { text: 'Hi?' } }] } } },
    });
    expect(voice.success).toBe(false);
    const messaging = flowFileSchema.safeParse({ messaging: { steps: { a: { actions: [{ say: 'hi' }] } } } });
    expect(messaging.success).toBe(false);
    expect(JSON.stringify(messaging.error?.issues)).toContain('ask');
  });
});

describe('check: the steps a conversation names', () => {
  it('refuses unknown steps with their path and the step meant', () => {
    const file = flowFileSchema.parse({
      messaging: {
        rules: [{ keyword: 'SURVEY', start: 'rating' }],
        steps: {
          ratings: { actions: [{ ask: { text: 'Rate us', next: 'done', noReply: 'remnd' } }] },
          remind: { actions: [{ sms: 'Reminder' }] },
        },
      },
    });
    expect(flowProblems(file)).toEqual([
      {
        path: 'messaging.rules[0].start',
        message: 'unknown step "rating" of messaging.steps; did you mean "ratings"?',
      },
      { path: 'messaging.steps.ratings.actions[0].ask.next', message: 'unknown step "done" of messaging.steps' },
      {
        path: 'messaging.steps.ratings.actions[0].ask.noReply',
        message: 'unknown step "remnd" of messaging.steps; did you mean "remind"?',
      },
    ]);
  });

  it('passes the sms-survey example', () => {
    expect(() => readFlowFile('flows/examples/sms-survey.json')).not.toThrow();
  });
});

describe('a conversation, turn by turn', () => {
  it('runs an http action with its default deadline (a fraction of a millisecond left once was a RangeError)', async () => {
    const server = createServer((_request, response) =>
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
    );
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    const posting = messagingOf({
      steps: {
        done: {
          actions: [{ http: { name: 'results', method: 'POST', url: `http://127.0.0.1:${port}/r`, json: { a: 1 } } }],
        },
      },
    });
    const ended = await advance(posting, start(), { type: 'start', step: 'done' }, turn());
    server.close();
    expect(ended.path.map((entry) => entry.text)).toContainEqual(
      expect.stringMatching(/^http results: ok 200 in \d+ ms$/),
    );
  });

  const messaging = messagingOf({
    steps: {
      q1: {
        actions: [
          { set: { tries: 0 } },
          { ask: { text: 'Rate 1-5?', save: 'rating', noReply: 'remind' } },
          { ask: { text: 'Why {{ flow.variables.rating }}?', save: 'why', timeout: '2h' } },
        ],
      },
      remind: { actions: [{ ask: { text: 'Reminder: rate 1-5?', save: 'rating', timeout: '30m', next: 'check' } }] },
      check: {
        actions: [
          {
            switch: {
              value: '{{ flow.variables.rating }}',
              cases: [{ matches: '^[1-5]$', step: 'thanks' }],
              otherwise: 'q1',
            },
          },
        ],
      },
      thanks: {
        actions: [
          { sms: 'Thanks for {{ flow.variables.rating }}!' },
          { sms: { text: 'New rating', to: '+15550100000' } },
        ],
      },
      loop: { actions: [{ switch: { value: 'x', cases: [{ equals: 'x', step: 'loop' }] } }] },
    },
  });

  it('asks, waits with a deadline, saves the reply and asks the next question of the step', async () => {
    const asked = await advance(messaging, start(), { type: 'start', step: 'q1' }, turn());
    expect(asked).toMatchObject({ status: 'waiting', step: 'q1', at: 1, turn: 1, dueAt: '2026-11-30T11:00:00.000Z' });
    expect(asked.lastTexts).toEqual([
      { key: `conversation|${asked.id}|1|0`, to: PARTY, from: LINE, body: 'Rate 1-5?' },
    ]);
    const later = new Date('2026-11-30T10:05:00Z');
    const second = await advance(messaging, asked, reply('4', 1), turn(later, '4'));
    expect(second).toMatchObject({
      status: 'waiting',
      step: 'q1',
      at: 2,
      turn: 2,
      dueAt: '2026-11-30T12:05:00.000Z',
      lastInput: 'SM1',
    });
    expect(second.state.variables).toEqual({ tries: 0, rating: '4' });
    expect(texts(second)).toEqual(['Why 4?']);
    const done = await advance(messaging, second, reply('friendly', 2), turn(later, 'friendly'));
    expect(done).toMatchObject({ status: 'ended', endReason: 'completed', lastTexts: [] });
    expect(done.path.map((entry) => [entry.event, entry.step, entry.text].filter(Boolean).join(' '))).toEqual([
      'step q1',
      'asked q1 Rate 1-5?',
      'replied q1 4',
      'asked q1 Why 4?',
      'replied q1 friendly',
      'ended completed',
    ]);
    expect(pathLine(done.path)).toBe(
      'q1 · asked "Rate 1-5?" · replied "4" · asked "Why 4?" · replied "friendly" · ended: completed',
    );
  });

  it('takes noReply on a timeout; a branch leads on; texts to another number are kept apart', async () => {
    const asked = await advance(messaging, start(), { type: 'start', step: 'q1' }, turn());
    const reminded = await advance(messaging, asked, { type: 'timeout' }, turn(new Date('2026-11-30T11:00:30Z')));
    expect(reminded).toMatchObject({
      status: 'waiting',
      step: 'remind',
      dueAt: '2026-11-30T11:30:30.000Z',
      lastInput: 'timeout|1',
    });
    expect(texts(reminded)).toEqual(['Reminder: rate 1-5?']);
    const wrong = await advance(messaging, reminded, reply('great', 3), turn());
    expect(wrong).toMatchObject({ status: 'waiting', step: 'q1', at: 1 });
    expect(wrong.path.some((entry) => entry.event === 'effect' && entry.text?.includes('switch at check[0]: q1'))).toBe(
      true,
    );
    const thanked = await advance(
      messaging,
      await advance(messaging, wrong, { type: 'timeout' }, turn()),
      reply('5', 4),
      turn(),
    );
    expect(thanked.status).toBe('ended');
    expect(thanked.lastTexts.map(({ to, body }) => [to, body])).toEqual([
      [PARTY, 'Thanks for 5!'],
      ['+15550100000', 'New rating'],
    ]);
  });

  it('ends when an ask with no noReply times out, when a step loops, and when the flow lost the step', async () => {
    const asked = await advance(messaging, start(), { type: 'start', step: 'remind' }, turn());
    expect(await advance(messaging, asked, { type: 'timeout' }, turn())).toMatchObject({
      status: 'ended',
      endReason: 'no reply',
    });
    expect(await advance(messaging, start(), { type: 'start', step: 'loop' }, turn())).toMatchObject({
      status: 'ended',
      endReason: 'loop: 25 steps without a question',
    });
    const changed = messagingOf({ steps: { other: { actions: [{ sms: 'hi' }] } } });
    expect(await advance(changed, asked, reply('1', 9), turn())).toMatchObject({
      status: 'ended',
      endReason: 'step gone: the flow file changed',
    });
  });
});
