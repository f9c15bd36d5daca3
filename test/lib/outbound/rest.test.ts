import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../../lib/config/settings';
import { placeCall, sendMessage } from '../../../lib/outbound/rest';
import { callRequest, messageRequest } from '../../../lib/outbound/schemas';
import { TwilioRefusedError } from '../../../lib/twilio/client';
import { startFakeTwilio } from '../../support/fakeTwilio';
import { baseSettings, TEST_PHONE_NUMBER } from '../../support/settings';

let fake: Awaited<ReturnType<typeof startFakeTwilio>>;
let settings: ReturnType<typeof loadSettings>;
const ORIGIN = 'https://app.example.net';

beforeAll(async () => {
  fake = await startFakeTwilio(baseSettings.TWILIO_ACCOUNT_SID, baseSettings.TWILIO_AUTH_TOKEN);
  settings = loadSettings({ ...baseSettings, TWILIO_API_BASE_URL: fake.url });
});
afterAll(() => fake.close());

describe('rest: calls and texts the API creates at Twilio', () => {
  it('places a call answered by our own voice webhook, its progress reported to our status callback', async () => {
    const placed = await placeCall(settings, ORIGIN, callRequest.parse({ to: '+15550100199' }));
    expect(placed).toMatchObject({ to: '+15550100199', from: TEST_PHONE_NUMBER, status: 'queued' });
    expect(fake.received.at(-1)!.form).toMatchObject({
      To: ['+15550100199'],
      From: [TEST_PHONE_NUMBER],
      Url: [`${ORIGIN}/api/twilio/voice`],
      Method: ['POST'],
      StatusCallback: [`${ORIGIN}/api/twilio/status`],
      StatusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
    });
  });

  it('places a call that says a text as TwiML, not by our webhook', async () => {
    await placeCall(settings, ORIGIN, callRequest.parse({ to: '+15550100199', say: 'Your code is <1234>' }));
    const form = fake.received.at(-1)!.form;
    expect(form.Url).toBeUndefined();
    expect(form.Twiml![0]).toContain('<Say>Your code is &lt;1234&gt;</Say>');
  });

  it('sends a text from the app’s number unless another is given, with media and our status callback', async () => {
    const sent = await sendMessage(
      settings,
      ORIGIN,
      messageRequest.parse({ to: '+15550100199', body: 'hi', mediaUrl: ['https://example.com/a.png'] }),
    );
    expect(sent.sid).toMatch(/^SM/);
    expect(fake.received.at(-1)!.form).toMatchObject({
      From: [TEST_PHONE_NUMBER],
      Body: ['hi'],
      MediaUrl: ['https://example.com/a.png'],
      StatusCallback: [`${ORIGIN}/api/twilio/status`],
    });
  });

  it('passes on Twilio’s refusal with its code', async () => {
    fake.failNext({ status: 400, code: 21211, message: "The 'To' number is not valid" });
    await expect(
      sendMessage(settings, ORIGIN, messageRequest.parse({ to: '+15550100199', body: 'hi' })),
    ).rejects.toBeInstanceOf(TwilioRefusedError);
  });
});
