import { randomBytes } from 'node:crypto';
import { InvocationContext } from '@azure/functions';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { queuedText } from '../../../lib/outbound/kinds';
import { sendKeyed, sendQueued } from '../../../lib/outbound/sendQueued';
import { getSettings } from '../../../lib/config/settings';
import { saveOptOut } from '../../../lib/records/optOuts';
import { startFakeTwilio, type FakeTwilio } from '../../support/fakeTwilio';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, TEST_PHONE_NUMBER, useSettings } from '../../support/settings';

let fake: FakeTwilio;
beforeAll(async () => {
  fake = await startFakeTwilio(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN);
});
beforeEach(() => useSettings({ TWILIO_API_BASE_URL: fake.url }));
afterAll(async () => {
  useSettings({});
  await fake.close();
});

const uniqueNumber = () => `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
const message = (to = uniqueNumber(), body = 'Voicemail from +15550100199') =>
  queuedText(`test|${randomBytes(8).toString('hex')}`, 'https://app.example.com', {
    to,
    from: TEST_PHONE_NUMBER,
    body,
  });
function logged() {
  const lines: string[] = [];
  const context = new InvocationContext({ logHandler: (_level, ...args) => lines.push(args.join(' ')) });
  return { context, lines };
}
const postsTo = (to: string) => fake.messages.filter((sent) => sent.to === to).length;
const noRequeue = async () => {
  throw new Error('requeued');
};

describe('a queued text, sent once by its key (Azurite, fake Twilio)', () => {
  it('is sent once however often the queue delivers it', async () => {
    const text = message();
    const first = await sendKeyed(text, logged().context, noRequeue);
    expect(first).toMatchObject({ state: 'sent', placed: { to: text.payload.to } });
    const again = logged();
    expect(await sendKeyed(text, again.context, noRequeue)).toEqual(first);
    expect(again.lines.join('\n')).toContain('was already sent; nothing more to do');
    expect(postsTo(text.payload.to)).toBe(1);
  });

  it('is tried again when Twilio answers 429 or 5xx: nothing was sent, the next try sends it', async () => {
    const text = message();
    fake.failNext({ status: 503, code: 20500, message: 'Service unavailable' });
    const { context, lines } = logged();
    await expect(sendQueued(text, context)).rejects.toThrow();
    expect(lines.join('\n')).toMatch(/Could not send the text to \+1555\d+ .*tried again later/);
    await sendQueued(text, logged().context);
    expect(postsTo(text.payload.to)).toBe(1);
  });

  it('is not tried again when Twilio refuses it (4xx): the refusal is kept on the key', async () => {
    const text = message();
    fake.failNext({ status: 400, code: 21211, message: "The 'To' number is not a valid phone number." });
    expect(await sendKeyed(text, logged().context, noRequeue)).toMatchObject({
      state: 'refused',
      status: 400,
      code: 21211,
    });
    expect(await sendKeyed(text, logged().context, noRequeue)).toMatchObject({ state: 'refused', code: 21211 });
    expect(postsTo(text.payload.to)).toBe(0);
  });

  it('is refused before Twilio, and not tried again, when the recipient opted out', async () => {
    const to = uniqueNumber();
    await saveOptOut(getSettings(), {
      number: to,
      line: TEST_PHONE_NUMBER,
      status: 'opted-out',
      keyword: 'STOP',
      messageSid: `SM${randomBytes(16).toString('hex')}`,
    });
    expect(await sendKeyed(message(to), logged().context, noRequeue)).toEqual({ state: 'optedOut' });
    expect(postsTo(to)).toBe(0);
  });

  it('drops, with an error logged and no retry, a message that is not an outbound message', async () => {
    const { context, lines } = logged();
    await expect(sendQueued({ kind: 'fax', key: 'k' }, context)).resolves.toBeUndefined();
    expect(lines).toEqual([expect.stringMatching(/^Dropped a queue message that is not an outbound message/)]);
  });
});
