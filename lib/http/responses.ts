import type { HttpResponseInit } from '@azure/functions';
import type { Problem } from '../errors';

export const json = (status: number, body: unknown, headers?: Record<string, string>): HttpResponseInit => ({
  status,
  jsonBody: body,
  headers,
});

/** Every error body: `{ error, problems?, ...extra }`. */
export const problem = (status: number, error: string, problems?: Problem[], extra?: Record<string, unknown>) =>
  json(status, { error, ...(problems?.length ? { problems } : {}), ...extra });

export const twiml = (xml: string): HttpResponseInit => ({
  status: 200,
  body: xml,
  headers: { 'Content-Type': 'text/xml; charset=utf-8' },
});
