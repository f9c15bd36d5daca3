import { timingSafeEqual } from 'node:crypto';
import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { getSettings, type Settings } from '../config/settings';
import { AppError } from '../errors';
import { describeInvocation, handle } from '../http/handle';
import { field, readForm, type FormParams } from '../http/requests';
import { publicUrl } from '../http/publicUrl';
import { logText } from '../http/logText';
import { OWNER_QUERY, signedQuery, type QueryRule } from './query';

export type WebhookHandler = (
  params: FormParams,
  context: InvocationContext,
  settings: Settings,
  /** The request, the public URL its signature was checked against, and that URL's query: the only one to act on. */
  request: { request: HttpRequest; url: string; query: ReadonlyMap<string, string> },
) => Promise<HttpResponseInit> | HttpResponseInit;

/**
 * Wraps a handler for a request from Twilio: the form body is read once, the query is read
 * from the URL the signature is checked against (refused when no URL of ours could have it,
 * see query.ts), and the handler runs only when X-Twilio-Signature matches that URL and every
 * form field.
 */
export function twilioWebhook(
  handler: WebhookHandler,
  rule: QueryRule | ((request: HttpRequest) => QueryRule) = OWNER_QUERY,
): HttpHandler {
  return handle(async (request: HttpRequest, context: InvocationContext) => {
    const settings = getSettings();
    const params = await readForm(request);
    describeInvocation(context, {
      callSid: field(params, 'CallSid'),
      messageSid: field(params, 'MessageSid') ?? field(params, 'SmsSid'),
      step: request.query.get('step') ?? undefined,
    });
    const url = publicUrl(request, settings);
    const query = signedQuery(url, typeof rule === 'function' ? rule(request) : rule);
    const signature = request.headers.get('x-twilio-signature');
    if (!signature) {
      context.warn(`Rejected a request without X-Twilio-Signature for ${logText(url)}`);
      throw new AppError(403, 'Missing X-Twilio-Signature');
    }
    if (!signedExactly(settings.TWILIO_AUTH_TOKEN, signature, url, params)) {
      context.warn(
        `Rejected an invalid Twilio signature; checked URL ${logText(url)}. If Twilio requested another URL, set PUBLIC_BASE_URL to its origin.`,
      );
      throw new AppError(403, 'Invalid X-Twilio-Signature');
    }
    return handler(params, context, settings, { request, url, query });
  });
}

/**
 * Whether the signature is the SDK's signature of this very URL (with the scheme's default
 * port written out or not, the two forms the SDK itself tries first). The SDK's
 * validateRequest also accepts rewritten forms of the URL (re-encoded by `new URL`, and
 * re-serialized by Node's querystring, which keeps only the first 1,000 parameters): a request
 * would then be acted on with a query other than the one that was signed.
 */
function signedExactly(token: string, signature: string, url: string, params: FormParams): boolean {
  const given = Buffer.from(signature);
  return withAndWithoutDefaultPort(url).some((form) => {
    const expected = Buffer.from(getExpectedTwilioSignature(token, form, params));
    return expected.length === given.length && timingSafeEqual(expected, given);
  });
}

function withAndWithoutDefaultPort(url: string): string[] {
  const { protocol, host, port } = new URL(url);
  const origin = `${protocol}//${host}`;
  if (port || !url.startsWith(origin)) return [url];
  return [url, `${origin}:${protocol === 'https:' ? 443 : 80}${url.slice(origin.length)}`];
}
