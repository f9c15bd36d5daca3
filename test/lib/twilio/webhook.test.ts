import { getExpectedTwilioSignature, validateRequest } from 'twilio/lib/webhooks/webhooks';
import { beforeEach, describe, expect, it } from 'vitest';
import { smsWebhook } from '../../../functions/smsWebhook';
import { voiceWebhook } from '../../../functions/voiceWebhook';
import { invoke, signedForm } from '../../support/invoke';
import { useSettings } from '../../support/settings';

// Twilio's published example (https://www.twilio.com/docs/usage/security).
const vector = {
  token: '12345',
  url: 'https://mycompany.com/myapp.php?foo=1&bar=2',
  params: {
    CallSid: 'CA1234567890ABCDE',
    Caller: '+14158675309',
    Digits: '1234',
    From: '+14158675309',
    To: '+18005551212',
  },
  signature: 'RSOYDt4T1cUTdK1PDd93/VVr8B8=',
};

const smsFields = {
  MessageSid: 'SM0123456789abcdef0123456789abcdef',
  From: '+15550001111',
  To: '+15005550006',
  Body: 'hello',
};
const publicSmsUrl = 'https://voice.example.com/api/twilio/sms';

describe("Twilio's published signature vector", () => {
  it('is what the SDK computes and accepts', () => {
    expect(getExpectedTwilioSignature(vector.token, vector.url, vector.params)).toBe(vector.signature);
    expect(validateRequest(vector.token, vector.signature, vector.url, vector.params)).toBe(true);
  });

  it('passes our webhook check, query string included', async () => {
    useSettings({ TWILIO_AUTH_TOKEN: vector.token });
    const result = await invoke(voiceWebhook, {
      url: vector.url,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': vector.signature },
      body: new URLSearchParams(vector.params).toString(),
    });
    // The signature is accepted (a refused one is 403); the example's short CallSid is then
    // named as the problem, since a call is recorded by its SID.
    expect(result.response.status).toBe(400);
    expect(result.json()).toEqual({
      error: 'Invalid Twilio request',
      problems: [{ field: 'CallSid', message: 'must be a call SID (CA followed by 32 hex digits)' }],
    });
  });
});

describe('webhook signature check', () => {
  beforeEach(() => useSettings({}));

  it('accepts a correctly signed request and answers TwiML', async () => {
    const result = await invoke(smsWebhook, signedForm(publicSmsUrl, smsFields));
    expect(result.response.status).toBe(200);
    expect(result.response.headers.get('content-type')).toMatch(/^text\/xml/);
  });

  it('refuses a request without a signature, and logs the URL it checked', async () => {
    const { headers, ...rest } = signedForm(publicSmsUrl, smsFields);
    const result = await invoke(smsWebhook, { ...rest, headers: { 'content-type': headers['content-type'] } });
    expect(result.response.status).toBe(403);
    expect(result.json()).toEqual({ error: 'Missing X-Twilio-Signature' });
    expect(result.logs).toContainEqual({ level: 'warning', message: expect.stringContaining(publicSmsUrl) });
  });

  it('refuses a tampered body', async () => {
    const request = signedForm(publicSmsUrl, smsFields);
    const result = await invoke(smsWebhook, { ...request, body: request.body.replace('hello', 'hullo') });
    expect(result.response.status).toBe(403);
    expect(result.json()).toEqual({ error: 'Invalid X-Twilio-Signature' });
  });

  it('refuses an extra field that was not signed: every field counts, not a whitelist', async () => {
    const request = signedForm(publicSmsUrl, smsFields);
    const result = await invoke(smsWebhook, { ...request, body: `${request.body}&Extra=1` });
    expect(result.response.status).toBe(403);
  });

  it('refuses a signature made for another URL, and says which URL it checked', async () => {
    const request = signedForm('https://voice.example.com/api/twilio/voice', smsFields);
    const result = await invoke(smsWebhook, { ...request, url: publicSmsUrl });
    expect(result.response.status).toBe(403);
    expect(result.logs.find((log) => log.level === 'warning')?.message).toContain(`checked URL ${publicSmsUrl}`);
  });

  it('refuses a signature made for a different query string', async () => {
    const request = signedForm(`${publicSmsUrl}?a=1`, smsFields);
    const result = await invoke(smsWebhook, { ...request, url: `${publicSmsUrl}?a=2` });
    expect(result.response.status).toBe(403);
  });

  describe('behind a front end that changes the URL', () => {
    // Twilio signed https://voice.example.com/...; the function sees http://internal:8080/...
    const internalUrl = 'http://internal:8080/api/twilio/sms';

    it('refuses http when Twilio signed https and nothing says otherwise', async () => {
      const request = signedForm(publicSmsUrl, smsFields);
      const result = await invoke(smsWebhook, { ...request, url: internalUrl });
      expect(result.response.status).toBe(403);
      expect(result.logs.find((log) => log.level === 'warning')?.message).toContain(internalUrl);
    });

    it('rebuilds the URL from X-Forwarded-Proto and X-Forwarded-Host', async () => {
      const request = signedForm(publicSmsUrl, smsFields);
      const result = await invoke(smsWebhook, {
        ...request,
        url: internalUrl,
        headers: { ...request.headers, 'x-forwarded-proto': 'https', 'x-forwarded-host': 'voice.example.com' },
      });
      expect(result.response.status).toBe(200);
    });

    it("takes the forwarded host's own port, never the internal one (a local tunnel)", async () => {
      const tunnelUrl = 'https://abc.ngrok.app/api/twilio/sms';
      const request = signedForm(tunnelUrl, smsFields);
      const result = await invoke(smsWebhook, {
        ...request,
        url: 'http://localhost:7373/api/twilio/sms',
        headers: { ...request.headers, 'x-forwarded-proto': 'https', 'x-forwarded-host': 'abc.ngrok.app' },
      });
      expect(result.response.status).toBe(200);
    });

    it('rebuilds the URL from PUBLIC_BASE_URL, which wins over forwarded headers', async () => {
      useSettings({ PUBLIC_BASE_URL: 'https://voice.example.com' });
      const request = signedForm(`${publicSmsUrl}?tenant=7`, smsFields);
      const result = await invoke(smsWebhook, {
        ...request,
        url: `${internalUrl}?tenant=7`,
        headers: { ...request.headers, 'x-forwarded-host': 'evil.example.com' },
      });
      expect(result.response.status).toBe(200);
    });
  });

  describe('bodies that are not a Twilio form', () => {
    it('refuses JSON with 415', async () => {
      const result = await invoke(smsWebhook, {
        url: publicSmsUrl,
        headers: { 'content-type': 'application/json', 'x-twilio-signature': 'x' },
        body: JSON.stringify(smsFields),
      });
      expect(result.response.status).toBe(415);
      expect(result.json()).toEqual({
        error: 'Content-Type must be application/x-www-form-urlencoded, not application/json',
      });
    });

    it('refuses a body over 64 KiB with 413', async () => {
      const result = await invoke(smsWebhook, signedForm(publicSmsUrl, { ...smsFields, Body: 'x'.repeat(70 * 1024) }));
      expect(result.response.status).toBe(413);
    });
  });
});
