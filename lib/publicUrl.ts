import type { HttpRequest } from '@azure/functions';
import type { Settings } from './config';

const firstValue = (header: string | null) => header?.split(',')[0]?.trim() || undefined;

/**
 * The origin callers use to reach this app. Behind Azure's front end the request URL a
 * function sees can differ from the public one (scheme, host, port), so PUBLIC_BASE_URL wins;
 * without it the X-Forwarded-* headers a proxy adds correct the request URL.
 */
export function publicOrigin(request: HttpRequest, settings: Pick<Settings, 'PUBLIC_BASE_URL'>): string {
  if (settings.PUBLIC_BASE_URL) return settings.PUBLIC_BASE_URL;
  const url = new URL(request.url);
  const proto = firstValue(request.headers.get('x-forwarded-proto'));
  const host = firstValue(request.headers.get('x-forwarded-host'));
  if (proto) url.protocol = `${proto}:`;
  if (host) url.host = host;
  return url.origin;
}

/** The full URL as the caller requested it (path and query string kept), for signature checks. */
export function publicUrl(request: HttpRequest, settings: Pick<Settings, 'PUBLIC_BASE_URL'>): string {
  const url = new URL(request.url);
  return `${publicOrigin(request, settings)}${url.pathname}${url.search}`;
}
