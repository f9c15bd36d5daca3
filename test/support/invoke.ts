import { HttpRequest, InvocationContext, type HttpHandler, type HttpResponse } from '@azure/functions';
import { responseOf } from '../../dev/functionsHost';
import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import { capturedLogs } from './logCapture';
import { TEST_AUTH_TOKEN } from './settings';

export interface Invocation {
  response: HttpResponse;
  text: string;
  json: () => unknown;
  logs: Array<{ level: string; message: string }>;
}

/** Runs a handler in-process the way the Functions host does, with a fresh InvocationContext. */
export async function invoke(
  handler: HttpHandler,
  init: {
    method?: string;
    url: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    params?: Record<string, string>;
  },
): Promise<Invocation> {
  const logs: Invocation['logs'] = [];
  const context = new InvocationContext({
    functionName: 'test',
    logHandler: (level, ...args) => {
      const message = args.map(String).join(' ');
      logs.push({ level, message });
      capturedLogs.push(message);
    },
  });
  const body =
    init.body === undefined ? undefined : typeof init.body === 'string' ? { string: init.body } : { bytes: init.body };
  const request = new HttpRequest({
    method: init.method ?? 'POST',
    url: init.url,
    headers: init.headers ?? {},
    ...(init.params ? { params: init.params } : {}),
    ...(body ? { body } : {}),
  });
  const response = await responseOf(handler, request, context);
  const text = await response.text();
  return { response, text, json: () => JSON.parse(text), logs };
}

export const jsonRequest = (url: string, body: unknown) => ({
  url,
  headers: { 'content-type': 'application/json' },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

/** A form POST signed as Twilio signs it: the URL it requested and every field. */
export function signedForm(url: string, fields: Record<string, string>, token = TEST_AUTH_TOKEN) {
  return {
    url,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': getExpectedTwilioSignature(token, url, fields),
    },
    body: new URLSearchParams(fields).toString(),
  };
}
