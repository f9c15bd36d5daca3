import type { HttpRequest } from '@azure/functions';
import type { Settings } from '../config/settings';

const firstValue = (header: string | null) => header?.split(',')[0]?.trim() || undefined;

/**
 * The origin callers use to reach this app. Behind Azure's front end the request URL a
 * function sees can differ from the public one (scheme, host, port), so PUBLIC_BASE_URL wins
 * (and is required in Azure). Without it, X-Forwarded-Proto and X-Forwarded-Host from a local
 * tunnel correct the request URL: the local host passes them on only from a loopback peer,
 * since whoever sends them picks the URL the signature is checked against.
 */
export function publicOrigin(request: HttpRequest, settings: Pick<Settings, 'PUBLIC_BASE_URL'>): string {
  if (settings.PUBLIC_BASE_URL) return settings.PUBLIC_BASE_URL;
  const url = new URL(request.url);
  const proto = firstValue(request.headers.get('x-forwarded-proto')) ?? url.protocol.replace(/:$/, '');
  const host = firstValue(request.headers.get('x-forwarded-host'));
  if (!host && proto === url.protocol.replace(/:$/, '')) return url.origin;
  // The forwarded host carries its own port or none (the scheme's default): never the internal one.
  const candidate = `${proto}://${host ?? url.host}`;
  if (!/^https?$/.test(proto) || !URL.canParse(candidate)) return url.origin;
  return new URL(candidate).origin;
}

/**
 * The full URL as the caller requested it, for signature checks: the path, and the query text
 * exactly as sent (URL.search would drop a bare `?`, which Twilio signs) with any fragment, so
 * the signed route can refuse one.
 */
export function publicUrl(request: HttpRequest, settings: Pick<Settings, 'PUBLIC_BASE_URL'>): string {
  const url = new URL(request.url);
  // In a parsed URL's href, the first `?` or `#` starts the query or the fragment.
  const rest = /[?#].*$/s.exec(url.href)?.[0] ?? '';
  return `${publicOrigin(request, settings)}${url.pathname}${rest}`;
}
