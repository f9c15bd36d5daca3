/**
 * A flow's `http` action: one request to the owner's own system (a CRM, an order service),
 * made while a caller waits. So it has a deadline well inside Twilio's 15 s, reads at most
 * MAX_RESPONSE_BYTES, follows no redirect to another origin, and carries a signature the
 * owner's endpoint can check (HMAC-SHA256 with FLOW_HTTP_SECRET, docs/flows.md shows how).
 * Every failure is an outcome, never an exception: the flow decides what the caller hears.
 */
import { createHmac } from 'node:crypto';

export const MAX_RESPONSE_BYTES = 64 * 1024;
const MAX_REDIRECTS = 3;
export const SIGNATURE_HEADER = 'x-phone-line-signature';

export interface OwnerRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  /** Already encoded; its content type is in headers. */
  body?: string;
}

export type OwnerAnswer =
  | { outcome: 'ok'; status: number; parsed: unknown; ms: number }
  | { outcome: 'failed'; status?: number; parsed?: unknown; reason: string; ms: number };

/**
 * `t=<unix seconds>,v1=<hex>`: the HMAC-SHA256 of `<t>.<METHOD>.<url>.<body>` keyed with the
 * secret. The time lets the endpoint refuse an old request replayed at it.
 */
export function ownerSignature(secret: string, request: OwnerRequest, now = Date.now()): string {
  const t = Math.floor(now / 1000);
  const mac = createHmac('sha256', secret)
    .update(`${t}.${request.method}.${request.url}.${request.body ?? ''}`)
    .digest('hex');
  return `t=${t},v1=${mac}`;
}

/** Makes the request; answers within `signal`'s deadline with `ok` (2xx) or `failed` and why. */
export async function callOwner(
  request: OwnerRequest,
  secret: string | undefined,
  signal: AbortSignal,
): Promise<OwnerAnswer> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  try {
    const response = await follow(request, secret, signal);
    const text = await readBounded(response, signal);
    const parsed = parseBody(text, response.headers.get('content-type'));
    if (response.status >= 200 && response.status < 300)
      return { outcome: 'ok', status: response.status, parsed, ms: ms() };
    return { outcome: 'failed', status: response.status, parsed, reason: `answered ${response.status}`, ms: ms() };
  } catch (error) {
    return { outcome: 'failed', reason: failureReason(error, signal), ms: ms() };
  }
}

async function follow(request: OwnerRequest, secret: string | undefined, signal: AbortSignal): Promise<Response> {
  let current = request;
  for (let hop = 0; ; hop++) {
    const headers = { ...current.headers, ...(secret ? { [SIGNATURE_HEADER]: ownerSignature(secret, current) } : {}) };
    const response = await fetch(current.url, {
      method: current.method,
      headers,
      ...(current.body !== undefined ? { body: current.body } : {}),
      redirect: 'manual',
      signal,
    });
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) return response;
    await response.body?.cancel();
    const next = new URL(location, current.url);
    if (next.origin !== new URL(request.url).origin)
      throw new OwnerRequestError(`redirected to another host (${next.host})`);
    if (hop + 1 >= MAX_REDIRECTS) throw new OwnerRequestError(`more than ${MAX_REDIRECTS} redirects`);
    // A 303 (and, as browsers do, a 301/302 after a POST) becomes a GET without a body.
    const asGet =
      response.status === 303 || ((response.status === 301 || response.status === 302) && current.method === 'POST');
    current = asGet
      ? { method: 'GET', url: next.toString(), headers: withoutContentType(current.headers) }
      : { ...current, url: next.toString() };
  }
}

const withoutContentType = (headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'content-type'));

class OwnerRequestError extends Error {
  override name = 'OwnerRequestError';
}

async function readBounded(response: Response, signal: AbortSignal): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > MAX_RESPONSE_BYTES) {
    await response.body?.cancel();
    throw new OwnerRequestError(`answer larger than ${MAX_RESPONSE_BYTES / 1024} KiB`);
  }
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    signal.throwIfAborted();
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      await reader.cancel();
      throw new OwnerRequestError(`answer larger than ${MAX_RESPONSE_BYTES / 1024} KiB`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** JSON when the answer says it is JSON (or looks like it), else the text. */
function parseBody(text: string, contentType: string | null): unknown {
  const looksJson = /json/i.test(contentType ?? '') || /^\s*[[{]/.test(text);
  if (!looksJson) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    if (/json/i.test(contentType ?? '')) throw new OwnerRequestError('answer is not valid JSON');
    return text;
  }
}

function failureReason(error: unknown, signal: AbortSignal): string {
  if (signal.aborted) return 'no answer within the deadline';
  if (error instanceof OwnerRequestError) return error.message;
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === 'string' ? `could not connect (${cause.code})` : 'could not connect';
}
