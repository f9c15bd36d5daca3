import * as z from 'zod';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

const parse = (value: string): URL | undefined => (URL.canParse(value) ? new URL(value) : undefined);

/**
 * An http(s) URL that is https unless it points at this machine, where there is no
 * certificate to be had (the local host, the emulator).
 */
export const secureUrl = z.url({ protocol: /^https?$/ }).refine((value) => {
  const url = parse(value);
  return !url || url.protocol === 'https:' || LOCAL_HOSTS.has(url.hostname) || url.hostname.endsWith('.localhost');
}, 'must use https (http is allowed for localhost only)');

/** A bare origin such as https://myapp.azurewebsites.net; a trailing slash is dropped. */
export const secureOrigin = secureUrl
  .refine((value) => {
    const url = parse(value);
    return !url || ((url.pathname === '/' || url.pathname === '') && !url.search && !url.hash);
  }, 'must be an origin only, such as https://myapp.azurewebsites.net (no path or query)')
  .transform((value) => new URL(value).origin);
