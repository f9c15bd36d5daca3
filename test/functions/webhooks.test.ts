import { beforeEach, describe, expect, it } from 'vitest';
import { smsWebhook } from '../../functions/smsWebhook';
import { voiceWebhook } from '../../functions/voiceWebhook';
import { invoke, signedForm } from '../support/invoke';
import { useSettings } from '../support/settings';

const voiceUrl = 'https://voice.example.com/api/twilio/voice';
const smsUrl = 'https://voice.example.com/api/twilio/sms';
const call = {
  CallSid: 'CA0123456789abcdef0123456789abcdef',
  From: 'client:alice',
  To: '+15005550006',
  CallStatus: 'ringing',
};
const sms = { MessageSid: 'SM0123456789abcdef0123456789abcdef', From: 'anonymous', To: '+15005550006', Body: 'hi' };

describe('voiceWebhook and smsWebhook', () => {
  beforeEach(() => useSettings({}));

  it('answers an incoming call with <Say> and the default greeting, as text/xml', async () => {
    const result = await invoke(voiceWebhook, signedForm(voiceUrl, call));
    expect(result.response.status).toBe(200);
    expect(result.response.headers.get('content-type')).toBe('text/xml; charset=utf-8');
    expect(result.text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hello Monkey!</Say></Response>');
  });

  it('answers an incoming SMS with <Message> and the configured reply', async () => {
    useSettings({ SMS_REPLY: 'Thanks, we got it.' });
    const result = await invoke(smsWebhook, signedForm(smsUrl, sms));
    expect(result.response.status).toBe(200);
    expect(result.text).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Thanks, we got it.</Message></Response>',
    );
  });

  it('turns control characters in settings into valid TwiML, not a 500', async () => {
    useSettings({ VOICE_GREETING: 'Hi\u0001 there\u001B', SMS_REPLY: '\u0008ok\uFFFF' });
    const voice = await invoke(voiceWebhook, signedForm(voiceUrl, call));
    const text = await invoke(smsWebhook, signedForm(smsUrl, sms));
    expect(voice.response.status).toBe(200);
    expect(voice.text).toContain('<Say>Hi there</Say>');
    expect(text.text).toContain('<Message>ok</Message>');
  });

  it('answers 503 naming the bad setting when the app is misconfigured', async () => {
    useSettings({ TWILIO_AUTH_TOKEN: ' ' });
    const result = await invoke(voiceWebhook, signedForm(voiceUrl, call));
    expect(result.response.status).toBe(503);
    expect(result.json()).toEqual({
      error: 'The app is not configured',
      problems: [
        { field: 'TWILIO_AUTH_TOKEN', message: 'must not be empty (an empty token would accept unsigned webhooks)' },
      ],
    });
  });
});
