/**
 * flows/examples/sms-survey.json end to end: texts through the local Twilio emulator, the app on
 * the local host with its outbound queue, real Azurite, and the conversation timer run at chosen
 * times (as the Functions host runs it every minute) to play the no-reply timeouts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPhone, type Phone } from '../support/phone';
import { postSigned } from '../support/signed';

const FLOW = 'flows/examples/sms-survey.json';
const SURVEYS = 'https://surveys.example.com';
const Q1 = 'Thanks for visiting! How would you rate your visit from 1 to 5? (Reply STOP to opt out.)';
const Q2 = 'Would you recommend us to a friend? (yes or no)';
const Q3 = 'Last one: anything we could do better?';
const MINUTE = 60_000;

let phone: Phone;
const posted: unknown[] = [];
beforeAll(async () => {
  phone = await startPhone({
    flows: FLOW,
    endpoints: {
      [SURVEYS]: (request) => {
        posted.push(JSON.parse(request.body));
        return { json: { ok: true } };
      },
    },
  });
});
afterAll(() => phone.close());

const bodies = (texts: Array<{ body: string }>) => texts.map((text) => text.body);
const conversationOf = (rule: string | undefined) => /conversation (CV[0-9a-f]{32})/.exec(rule ?? '')?.[1];
async function conversation(id: string) {
  const response = await fetch(`${phone.appUrl}/api/conversations/${id}`);
  expect(response.status).toBe(200);
  return (await response.json()) as { status: string; endReason?: string; pathLine: string; variables: object };
}
const start = (to: string, flow: object, headers: Record<string, string> = {}) =>
  fetch(`${phone.appUrl}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ to, flow }),
  });

describe('sms-survey: three questions by text', () => {
  it('starts on SURVEY, saves each answer, posts them at the end and thanks', async () => {
    const from = '+15550100201';
    const first = await phone.text('survey', { from });
    expect(bodies(first.replies)).toEqual([Q1]);
    const id = conversationOf(first.rule)!;
    expect(first.rule).toMatch(/^keyword SURVEY → conversation CV[0-9a-f]{32} waits at rating$/);
    expect(bodies((await phone.text('5', { from })).replies)).toEqual([Q2]);
    expect(bodies((await phone.text('yes', { from })).replies)).toEqual([Q3]);
    const last = await phone.text('More oat milk', { from });
    expect(bodies(last.replies)).toEqual(['Thank you! Your answers help us do better.']);
    const record = await conversation(id);
    expect(posted).toContainEqual({ from, rating: '5', recommend: 'yes', comment: 'More oat milk' });
    expect(record).toMatchObject({ status: 'ended', endReason: 'completed' });
    expect(record.variables).toEqual({ rating: '5', recommend: 'yes', comment: 'More oat milk' });
    expect(record.pathLine.replace(/ in \d+ ms/, '')).toBe(
      `rating · asked "${Q1}" · replied "5" · recommend · asked "${Q2}" · replied "yes" · comment · asked "${Q3}" · replied "More oat milk" · results · http results: ok 200 · sent "Thank you! Your answers help us do better." · ended: completed`.replace(
        /http results: ok 200/,
        (line) => line,
      ),
    );
    // The conversation is over: the next text is a new text, answered by the rules.
    expect(bodies((await phone.text('hello', { from })).replies)).toEqual([
      'Text SURVEY to take our three-question survey.',
    ]);
  });

  it('started by POST /api/messages: no reply sends one reminder, a second timer instance sends nothing more, STOP ends it', async () => {
    const to = '+15550100202';
    const t0 = new Date();
    const key = { 'Idempotency-Key': `survey-${t0.getTime()}` };
    const { result: response, texts } = await phone.sending(() => start(to, { step: 'rating' }, key));
    expect(response.status).toBe(201);
    const started = (await response.json()) as { id: string; status: string; waitingAt: string };
    expect(started).toMatchObject({ status: 'waiting', waitingAt: 'rating' });
    expect(texts).toEqual([{ to, body: Q1 }]);
    // The same request again (a client that did not hear the answer): the same answer, no second text.
    const again = await phone.sending(() => start(to, { step: 'rating' }, key));
    expect(((await again.result.json()) as { id: string }).id).toBe(started.id);
    expect(again.texts).toEqual([]);

    expect((await phone.sending(() => phone.runTimers(new Date(t0.getTime() + 59 * MINUTE)))).texts).toEqual([]);
    const reminded = await phone.sending(() => phone.runTimers(new Date(t0.getTime() + 61 * MINUTE)));
    expect(reminded.texts).toEqual([{ to, body: 'A reminder: how would you rate your visit from 1 to 5?' }]);
    // Another instance running the same minute finds nothing left to do.
    expect((await phone.sending(() => phone.runTimers(new Date(t0.getTime() + 61 * MINUTE)))).texts).toEqual([]);

    expect(bodies((await phone.text('4', { from: to })).replies)).toEqual([Q2]);
    const stop = await phone.text('STOP', { from: to });
    expect(stop.replies).toEqual([]);
    expect(stop.rule).toContain(`conversation ${started.id} ended: opted out (STOP)`);
    // Nothing more: no timeout moves it, and a new survey is refused before Twilio.
    expect((await phone.sending(() => phone.runTimers(new Date(t0.getTime() + 300 * MINUTE)))).texts).toEqual([]);
    const survey = await phone.text('SURVEY', { from: to });
    expect([survey.replies, survey.rule]).toEqual([[], 'keyword SURVEY; no conversation: opted out']);
    const refused = await start(to, { step: 'rating' });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ code: 'recipient-opted-out' });
    const record = await conversation(started.id);
    expect(record).toMatchObject({ status: 'ended', endReason: 'opted out (STOP)', variables: { rating: '4' } });
    expect(record.pathLine).toBe(
      `rating · asked "${Q1}" · no reply within 1h · ratingReminder · asked "A reminder: how would you rate your visit from 1 to 5?" · replied "4" · recommend · asked "${Q2}" · replied "STOP" · ended: opted out (STOP)`,
    );
  });

  it('a question left unanswered after its reminder ends the conversation; a later text is a new text', async () => {
    const to = '+15550100203';
    const t0 = new Date();
    const response = await phone.sending(() => start(to, { step: 'recommend', variables: { rating: '3' } }));
    const { id } = (await response.result.json()) as { id: string };
    await phone.sending(() => phone.runTimers(new Date(t0.getTime() + 61 * MINUTE)));
    expect((await phone.sending(() => phone.runTimers(new Date(t0.getTime() + 122 * MINUTE)))).texts).toEqual([]);
    expect(await conversation(id)).toMatchObject({ status: 'ended', endReason: 'no reply' });
    expect(bodies((await phone.text('maybe', { from: to })).replies)).toEqual([
      'Text SURVEY to take our three-question survey.',
    ]);
  });

  it('a redelivered reply (Twilio retrying the webhook) moves the conversation once and texts once', async () => {
    const from = '+15550100204';
    await phone.text('SURVEY', { from });
    const reply = {
      MessageSid: 'SM' + 'ab'.repeat(16),
      AccountSid: 'AC' + '0'.repeat(32),
      From: from,
      To: phone.number,
      Body: '2',
    };
    const url = `${phone.appUrl}/api/twilio/sms`;
    const first = await phone.sending(() => postSigned(url, reply));
    const second = await phone.sending(() => postSigned(url, reply));
    expect([first.result.status, second.result.status]).toEqual([200, 200]);
    expect(first.texts).toEqual([{ to: from, body: Q2 }]);
    expect(second.texts).toEqual([]);
  });

  it("erasing the party's data erases their conversations, the one going on included", async () => {
    const to = '+15550100206';
    const started = await phone.sending(() => start(to, { step: 'rating' }));
    const { id } = (await started.result.json()) as { id: string };
    const erased = await fetch(`${phone.appUrl}/api/numbers/${encodeURIComponent(to)}/data`, { method: 'DELETE' });
    expect(((await erased.json()) as { erased: { conversations: number } }).erased.conversations).toBe(1);
    expect((await fetch(`${phone.appUrl}/api/conversations/${id}`)).status).toBe(404);
    // Nothing is left waiting: the next text is a new text, and the timer finds nothing to send.
    expect(bodies((await phone.text('5', { from: to })).replies)).toEqual([
      'Text SURVEY to take our three-question survey.',
    ]);
    const later = await phone.sending(() => phone.runTimers(new Date(Date.now() + 61 * MINUTE)));
    expect(later.texts.filter((text) => text.to === to)).toEqual([]);
  });

  it('refuses a start naming a step or variable the flow does not have, or with both body and flow', async () => {
    const bad = async (body: object) => {
      const response = await fetch(`${phone.appUrl}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ to: '+15550100205', ...body }),
      });
      expect(response.status).toBe(400);
      return ((await response.json()) as { problems: Array<{ field: string; message: string }> }).problems;
    };
    expect(await bad({ flow: { step: 'ratng' } })).toEqual([
      {
        field: 'flow.step',
        message: expect.stringContaining('is not a step of messaging.steps: "ratng"'),
      },
    ]);
    expect(await bad({ flow: { step: 'rating', variables: { 'not a name': 1 } } })).toEqual([
      { field: 'flow.variables.not a name', message: expect.stringContaining('must be a variable name') },
    ]);
    expect((await bad({ body: 'hi', flow: { step: 'rating' } }))[0]).toMatchObject({ field: 'body' });
    expect((await fetch(`${phone.appUrl}/api/conversations/nope`)).status).toBe(400);
    expect((await fetch(`${phone.appUrl}/api/conversations/CV${'0'.repeat(32)}`)).status).toBe(404);
  });
});
