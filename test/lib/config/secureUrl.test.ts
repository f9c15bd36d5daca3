import { describe, expect, it } from 'vitest';
import { secureOrigin, secureUrl } from '../../../lib/config/secureUrl';

describe('secureUrl', () => {
  it('takes https anywhere, and http only on this machine', () => {
    for (const url of [
      'https://example.com/x',
      'http://localhost:7071/api',
      'http://127.0.0.1:8080',
      'http://[::1]:3000',
      'http://app.localhost/x',
    ]) {
      expect(secureUrl.safeParse(url).success, url).toBe(true);
    }
    expect(secureUrl.safeParse('http://example.com/x').error?.issues[0]?.message).toBe(
      'must use https (http is allowed for localhost only)',
    );
    expect(secureUrl.safeParse('http://localhost.example.com').success).toBe(false);
    expect(secureUrl.safeParse('ftp://example.com').success).toBe(false);
    expect(secureUrl.safeParse('not a url').success).toBe(false);
  });
});

describe('secureOrigin', () => {
  it('takes a bare origin and drops a trailing slash', () => {
    expect(secureOrigin.parse('https://app.azurewebsites.net/')).toBe('https://app.azurewebsites.net');
    expect(secureOrigin.parse('http://localhost:7071')).toBe('http://localhost:7071');
  });

  it('refuses a path, a query or a fragment', () => {
    for (const url of ['https://app.example/api', 'https://app.example/?x=1', 'https://app.example/#top']) {
      expect(
        secureOrigin.safeParse(url).error?.issues.map((issue) => issue.message),
        url,
      ).toContain('must be an origin only, such as https://myapp.azurewebsites.net (no path or query)');
    }
  });
});
