import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { validateRequest } from 'twilio/lib/webhooks/webhooks';
import { getSettings, type Settings } from '../config/settings';
import { AppError } from '../errors';
import { describeInvocation, handle } from '../http/handle';
import { field, readForm, type FormParams } from '../http/requests';
import { publicUrl } from '../http/publicUrl';

export type WebhookHandler = (
  params: FormParams,
  context: InvocationContext,
  settings: Settings,
  /** The request, and the public URL its signature was checked against. */
  request: { request: HttpRequest; url: string },
) => Promise<HttpResponseInit> | HttpResponseInit;

/**
 * Wraps a handler for a request from Twilio: the form body is read once, and the handler
 * runs only when X-Twilio-Signature matches the public URL and every form field.
 */
export function twilioWebhook(handler: WebhookHandler): HttpHandler {
  return handle(async (request: HttpRequest, context: InvocationContext) => {
    const settings = getSettings();
    const params = await readForm(request);
    describeInvocation(context, {
      callSid: field(params, 'CallSid'),
      messageSid: field(params, 'MessageSid') ?? field(params, 'SmsSid'),
      step: request.query.get('step') ?? undefined,
    });
    const url = publicUrl(request, settings);
    const signature = request.headers.get('x-twilio-signature');
    if (!signature) {
      context.warn(`Rejected a request without X-Twilio-Signature for ${url}`);
      throw new AppError(403, 'Missing X-Twilio-Signature');
    }
    if (!validateRequest(settings.TWILIO_AUTH_TOKEN, signature, url, params)) {
      context.warn(
        `Rejected an invalid Twilio signature; checked URL ${url}. If Twilio requested another URL, set PUBLIC_BASE_URL to its origin.`,
      );
      throw new AppError(403, 'Invalid X-Twilio-Signature');
    }
    return handler(params, context, settings, { request, url });
  });
}
