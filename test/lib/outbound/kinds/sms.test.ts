import { InvocationContext } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { smsKind } from '../../../../lib/outbound/kinds/sms';
import { useFakeTwilio } from '../../../support/fakeTwilio';
import { TEST_PHONE_NUMBER } from '../../../support/settings';

const twilio = useFakeTwilio();

const text = (body: string, to = '+15550100123') => smsKind.payload.parse({ to, from: TEST_PHONE_NUMBER, body });

describe('a queued text', () => {
  it('is sent through the Messages API, with a status callback to the app', async () => {
    const placed = await smsKind.send(
      twilio.settings,
      'https://app.example.com',
      text('Voicemail from +1555'),
      new InvocationContext(),
    );
    expect(placed).toMatchObject({ to: '+15550100123', from: TEST_PHONE_NUMBER });
    const form = twilio.fake.received.at(-1)!.form;
    expect(form.Body).toEqual(['Voicemail from +1555']);
    expect(form.StatusCallback?.[0]).toMatch(/^https:\/\/app\.example\.com\/api\/twilio\/status/);
    expect(smsKind.observation(placed, text('Voicemail from +1555'))).toMatchObject({
      kind: 'message',
      sid: placed.sid,
      body: 'Voicemail from +1555',
    });
  });

  it('finds the text an earlier try created when that try got no answer, and nothing before `since`', async () => {
    const since = new Date(Date.now() - 60_000);
    const to = '+15550100124';
    const placed = await smsKind.send(
      twilio.settings,
      'https://app.example.com',
      text('Only once', to),
      new InvocationContext(),
    );
    expect(await smsKind.find(twilio.settings, text('Only once', to), since)).toMatchObject({ sid: placed.sid });
    expect(await smsKind.find(twilio.settings, text('Another text', to), since)).toBeUndefined();
    expect(await smsKind.find(twilio.settings, text('Only once', to), new Date(Date.now() + 60_000))).toBeUndefined();
  });

  it('holds what one message may: a body of 1 to 1600 characters, at most 10 media', () => {
    const ok = { to: '+15550100123', from: TEST_PHONE_NUMBER, body: 'x' };
    expect(smsKind.payload.safeParse({ ...ok, body: 'x'.repeat(1601) }).success).toBe(false);
    expect(smsKind.payload.safeParse({ ...ok, body: '' }).success).toBe(false);
    expect(smsKind.payload.safeParse({ ...ok, mediaUrl: Array(11).fill('https://x/a.png') }).success).toBe(false);
    expect(smsKind.describe(text('hi'))).toBe('text to +15550100123');
  });
});
