import { closedPort } from '../../support/ports';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shortenDeadlinesForTests } from '../../../lib/config/deadlines';
import {
  callTwilio,
  createTwilioClient,
  fetchRecordingAudio,
  getTwilioClient,
  TwilioOutcomeUnknownError,
  TwilioRefusedError,
  TwilioUnreachableError,
} from '../../../lib/twilio/client';
import { startFakeTwilio } from '../../support/fakeTwilio';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, TEST_PHONE_NUMBER } from '../../support/settings';

let fake: Awaited<ReturnType<typeof startFakeTwilio>>;
const settings = () => ({
  TWILIO_ACCOUNT_SID: TEST_ACCOUNT_SID,
  TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
  TWILIO_API_BASE_URL: fake.url,
});
const send = (client: Awaited<ReturnType<typeof createTwilioClient>>) =>
  client.messages.create({ to: '+15550100199', from: TEST_PHONE_NUMBER, body: 'hi' });

beforeAll(async () => {
  fake = await startFakeTwilio(TEST_ACCOUNT_SID, TEST_AUTH_TOKEN);
});
afterAll(() => fake.close());

describe('client: the REST client, against a Twilio-shaped server over HTTP', () => {
  it('sends every request to the base URL it is given, with the account’s credentials', async () => {
    const message = await callTwilio(async () => send(await createTwilioClient(settings())), 'messages');
    expect(message.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(fake.received.at(-1)).toMatchObject({
      method: 'POST',
      path: `/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Messages.json`,
      form: { To: ['+15550100199'], Body: ['hi'] },
    });
  });

  it('keeps one client per credentials, a new one when they change', async () => {
    expect(getTwilioClient(settings())).toBe(getTwilioClient(settings()));
    expect(getTwilioClient({ ...settings(), TWILIO_AUTH_TOKEN: 'other' })).not.toBe(getTwilioClient(settings()));
  });

  it('passes on Twilio’s 4xx with its code, and makes its 5xx a 502', async () => {
    const client = await createTwilioClient(settings());
    fake.failNext({ status: 400, code: 21211, message: "The 'To' number is not valid" });
    const refused = await callTwilio(() => send(client), 'messages').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TwilioRefusedError);
    expect(refused).toMatchObject({ status: 400, rest: { code: 21211 } });
    fake.failNext({ status: 503, code: 20503, message: 'Service unavailable' });
    expect(await callTwilio(() => send(client), 'messages').catch((error: unknown) => error)).toMatchObject({
      status: 502,
    });
  });

  it('says nothing was sent when Twilio cannot be reached', async () => {
    const client = await createTwilioClient({
      ...settings(),
      TWILIO_API_BASE_URL: `http://127.0.0.1:${await closedPort()}`,
    });
    const error = await callTwilio(() => send(client), 'messages').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TwilioUnreachableError);
    expect(error).toMatchObject({ status: 502 });
  });

  it('says the outcome is unknown, and where to look, when the request was sent and no answer came', async () => {
    const restore = shortenDeadlinesForTests({ twilioRequestMs: 300 });
    try {
      const client = await createTwilioClient(settings());
      fake.hangAfterActingNext();
      const error = await callTwilio(() => send(client), 'GET /api/messages').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(TwilioOutcomeUnknownError);
      expect(error).toMatchObject({ status: 504 });
    } finally {
      restore();
    }
  });

  it('passes on other errors as they are', async () => {
    const bug = new TypeError('not a Twilio failure');
    await expect(callTwilio(() => Promise.reject(bug), 'x')).rejects.toBe(bug);
  });

  it('fetches a recording with the credentials, and refuses what Twilio refuses', async () => {
    const error = await fetchRecordingAudio(settings(), 'RE0123456789abcdef0123456789abcdef').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TwilioRefusedError);
    expect(error).toMatchObject({ status: 404 });
    expect(fake.received.at(-1)).toMatchObject({
      method: 'GET',
      path: `/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Recordings/RE0123456789abcdef0123456789abcdef.mp3`,
    });
    const unreachable = { ...settings(), TWILIO_API_BASE_URL: `http://127.0.0.1:${await closedPort()}` };
    await expect(fetchRecordingAudio(unreachable, 'RE0123456789abcdef0123456789abcdef')).rejects.toBeInstanceOf(
      TwilioUnreachableError,
    );
  });
});
