import { HttpRequest } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { publicOrigin, publicUrl } from '../../../lib/http/publicUrl';

const request = (url: string, headers: Record<string, string> = {}) =>
  new HttpRequest({ url, method: 'POST', headers });
const none = { PUBLIC_BASE_URL: undefined };

describe('publicOrigin', () => {
  it('is PUBLIC_BASE_URL when set, whatever the request says', () => {
    const behindFrontEnd = request('http://10.0.0.4:8080/api/twilio/voice', {
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'evil.example',
    });
    expect(publicOrigin(behindFrontEnd, { PUBLIC_BASE_URL: 'https://app.azurewebsites.net' })).toBe(
      'https://app.azurewebsites.net',
    );
  });

  it("is the request's own origin without forwarded headers", () => {
    expect(publicOrigin(request('http://localhost:7071/api/twilio/voice'), none)).toBe('http://localhost:7071');
  });

  it('takes the scheme and host a tunnel forwarded, with its port or none, never the internal one', () => {
    const tunnelled = request('http://localhost:7071/api/twilio/voice', {
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'abc.ngrok.app',
    });
    expect(publicOrigin(tunnelled, none)).toBe('https://abc.ngrok.app');
    const withPort = request('http://localhost:7071/x', { 'x-forwarded-host': 'tunnel.example:8443' });
    expect(publicOrigin(withPort, none)).toBe('http://tunnel.example:8443');
    const schemeOnly = request('http://localhost:7071/x', { 'x-forwarded-proto': 'https' });
    expect(publicOrigin(schemeOnly, none)).toBe('https://localhost:7071');
  });

  it('reads the first of a list of forwarded values (the client-side hop)', () => {
    const chained = request('http://localhost:7071/x', {
      'x-forwarded-proto': 'https, http',
      'x-forwarded-host': 'first.example, proxy.internal',
    });
    expect(publicOrigin(chained, none)).toBe('https://first.example');
  });

  it('ignores a forwarded scheme other than http or https, and a host that makes no URL', () => {
    expect(publicOrigin(request('http://localhost:7071/x', { 'x-forwarded-proto': 'ftp' }), none)).toBe(
      'http://localhost:7071',
    );
    expect(publicOrigin(request('http://localhost:7071/x', { 'x-forwarded-host': 'bad host/with space' }), none)).toBe(
      'http://localhost:7071',
    );
  });
});

describe('publicUrl', () => {
  it('keeps the path and the query string exactly, on the public origin', () => {
    const signed = request('http://10.0.0.4:8080/api/twilio/flow/gather?step=menu&turn=2');
    expect(publicUrl(signed, { PUBLIC_BASE_URL: 'https://app.azurewebsites.net' })).toBe(
      'https://app.azurewebsites.net/api/twilio/flow/gather?step=menu&turn=2',
    );
  });
});
