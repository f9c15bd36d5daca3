import { randomUUID } from 'node:crypto';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';

export type HttpMethod = 'GET' | 'POST';

export interface WebhookRequest {
  url: string;
  method?: string;
  params: Record<string, string>;
  /** A Cookie header: what the app set earlier in the same call. */
  cookie?: string;
  /** When the call or text happens, if not now: sent as X-Emulator-Time for a local host to honor. */
  at?: string;
}

/** One request made as Twilio makes it, and what came back. */
export interface WebhookResult {
  /** The URL requested (without any #fragment), as signed. */
  url: string;
  method: HttpMethod;
  params: Record<string, string>;
  signature: string;
  attempts: number;
  status?: number;
  contentType?: string;
  body: string;
  /** The Set-Cookie headers of the answer. */
  setCookies: string[];
  /** Why there is no usable answer: a network failure, a timeout, an HTTP error status. */
  error?: string;
}

/**
 * Not Twilio's: the emulator's word for "this call or text happens at" (ISO 8601), which the
 * project's local host honors so a flow's hours can be tried at any time. Twilio never sends it.
 */
export const EMULATOR_TIME_HEADER = 'X-Emulator-Time';
export const TWILIO_WEBHOOK_TIMEOUT_MS = 15_000;
const MAX_RETRIES = 5;

export const httpMethod = (method: string | undefined): HttpMethod =>
  method?.toUpperCase() === 'GET' ? 'GET' : 'POST';

/**
 * Twilio's connection overrides (`#rc=2&tt=5000` after a webhook URL) never reach the app:
 * the fragment is cut before the request and the signature covers the URL without it.
 */
export function splitConnectionOverrides(url: string): { url: string; retries: number; timeoutMs: number } {
  const at = url.indexOf('#');
  if (at === -1) return { url, retries: 0, timeoutMs: TWILIO_WEBHOOK_TIMEOUT_MS };
  const overrides = new URLSearchParams(url.slice(at + 1));
  const number = (name: string) => {
    const value = Number(overrides.get(name));
    return Number.isFinite(value) && value > 0 ? value : undefined;
  };
  return {
    url: url.slice(0, at),
    retries: Math.min(number('rc') ?? 0, MAX_RETRIES),
    timeoutMs: Math.min(number('tt') ?? number('rt') ?? TWILIO_WEBHOOK_TIMEOUT_MS, TWILIO_WEBHOOK_TIMEOUT_MS),
  };
}

/**
 * Requests a webhook as Twilio does: form-encoded POST (or GET with the parameters in the
 * query string), signed with X-Twilio-Signature over the exact URL requested and every
 * parameter; retried on connection failures and 5xx only when the URL asks with #rc=.
 */
export async function sendWebhook(
  authToken: string,
  request: WebhookRequest,
  signal?: AbortSignal,
): Promise<WebhookResult> {
  const method = httpMethod(request.method);
  const overrides = splitConnectionOverrides(request.url);
  let url = overrides.url;
  let body: string | undefined;
  let signed: Record<string, string> = request.params;
  if (method === 'GET') {
    const target = new URL(url);
    for (const [key, value] of Object.entries(request.params)) target.searchParams.append(key, value);
    url = target.toString();
    signed = {};
  } else {
    body = new URLSearchParams(request.params).toString();
  }
  const signature = getExpectedTwilioSignature(authToken, url, signed);
  const headers: Record<string, string> = {
    'X-Twilio-Signature': signature,
    'I-Twilio-Idempotency-Token': randomUUID(),
    'User-Agent': 'TwilioProxy/1.1 (local emulator)',
    Accept: '*/*',
  };
  if (body !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded; charset=utf-8';
  if (request.cookie) headers.Cookie = request.cookie;
  if (request.at) headers[EMULATOR_TIME_HEADER] = request.at;

  const result: WebhookResult = {
    url,
    method,
    params: request.params,
    signature,
    attempts: 0,
    body: '',
    setCookies: [],
  };
  for (;;) {
    result.attempts += 1;
    const retryable = await attempt(url, method, headers, body, overrides.timeoutMs, result, signal);
    if (!retryable || result.attempts > overrides.retries || signal?.aborted) return result;
  }
}

async function attempt(
  url: string,
  method: HttpMethod,
  headers: Record<string, string>,
  body: string | undefined,
  timeoutMs: number,
  result: WebhookResult,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(url, {
      method,
      headers,
      body,
      redirect: 'follow',
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    result.status = response.status;
    result.contentType = response.headers.get('content-type') ?? undefined;
    result.body = await response.text();
    result.setCookies = response.headers.getSetCookie();
    result.error = response.ok ? undefined : `HTTP ${response.status}`;
    return response.status >= 500;
  } catch (error) {
    result.status = undefined;
    result.error = timeout.aborted ? `no answer within ${timeoutMs} ms` : describeFetchError(error);
    return true;
  }
}

function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ? `${cause.code} ${cause.message ?? ''}`.trim() : error.message;
}
