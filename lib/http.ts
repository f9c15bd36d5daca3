import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { z } from 'zod';
import { ConfigError } from './config';

/** Larger bodies are refused before parsing: no Twilio webhook or API call of ours comes near it. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface Problem {
  field: string;
  message: string;
}

/**
 * Every answer other than success is one of these, thrown by a handler and turned into its
 * status and body by `handle` alone. `publicMessage` is what the caller reads; `logMessage`,
 * which may name internals, goes only to the log.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly publicMessage: string,
    readonly options: { problems?: Problem[]; extra?: Record<string, unknown>; log?: 'warn' | 'error'; logMessage?: string } = {},
  ) {
    super(options.logMessage ?? publicMessage);
    this.name = 'HttpError';
  }
}

/** A request we refuse, with the status and the problems to tell the caller. */
export class RequestError extends HttpError {
  constructor(status: number, message: string, problems: Problem[] = []) {
    super(status, message, { problems });
    this.name = 'RequestError';
  }
}

/** A dependency is down: the caller should try again later (Twilio retries a webhook that answers 503 when told to). */
export class UnavailableError extends HttpError {
  constructor(message: string, publicMessage: string) {
    super(503, publicMessage, { log: 'error', logMessage: message });
    this.name = 'UnavailableError';
  }
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): HttpResponseInit => ({
  status,
  jsonBody: body,
  headers,
});

export const problem = (status: number, error: string, problems?: Problem[], extra?: Record<string, unknown>) =>
  json(status, { error, ...(problems?.length ? { problems } : {}), ...extra });

export const badRequest = (error: string, problems?: Problem[]) => problem(400, error, problems);
export const forbidden = (reason: string) => problem(403, reason);
export const notFound = (what: string) => problem(404, what);

export const twiml = (xml: string): HttpResponseInit => ({
  status: 200,
  body: xml,
  headers: { 'Content-Type': 'text/xml; charset=utf-8' },
});

/** One problem per field, named as the caller wrote it; unknown keys are named one by one. */
export function zodProblems(error: z.ZodError): Problem[] {
  return error.issues.flatMap((issue) => {
    const at = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: at ? `${at}.${key}` : key, message: 'is not a known field' }));
    }
    return [{ field: at || '(body)', message: issue.message }];
  });
}

function mediaType(request: HttpRequest): string {
  return (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Reads the body as text after checking its media type and size; never reads more than the limit allows. */
export async function readBody(request: HttpRequest, expectedType: string): Promise<string> {
  const type = mediaType(request);
  if (type !== expectedType) {
    throw new RequestError(415, `Content-Type must be ${expectedType}${type ? `, not ${type}` : ''}`);
  }
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const body = Buffer.from(await request.arrayBuffer());
  if (body.length > MAX_BODY_BYTES) throw tooLarge();
  return body.toString('utf8');
}

const tooLarge = () => new RequestError(413, `Body is larger than ${MAX_BODY_BYTES / 1024} KiB`);

/** Reads and validates a JSON body; every problem is named by field. */
export async function readJson<T extends z.ZodType>(request: HttpRequest, schema: T): Promise<z.output<T>> {
  const text = await readBody(request, 'application/json');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new RequestError(400, 'Body is not valid JSON');
  }
  const result = schema.safeParse(data);
  if (!result.success) throw new RequestError(400, 'Invalid request', zodProblems(result.error));
  return result.data;
}

/** Form fields as Twilio's signature check wants them: every field, repeated ones as arrays. */
export type FormParams = Record<string, string | string[]>;

export function formParams(body: string): FormParams {
  const params: FormParams = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const seen = params[key];
    params[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return params;
}

export async function readForm(request: HttpRequest): Promise<FormParams> {
  return formParams(await readBody(request, 'application/x-www-form-urlencoded'));
}

/** A single form value (the first when repeated). */
export const field = (params: FormParams, name: string): string | undefined => {
  const value = params[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * Turns what a handler throws into the answer the caller deserves: its own 4xx for a bad
 * request, 503 naming the bad settings (never their values) or the dependency that is down,
 * and a bare 500 otherwise,
 * with the detail only in the log.
 */
export function handle(handler: HttpHandler): HttpHandler {
  return async (request: HttpRequest, context: InvocationContext) => {
    try {
      return await handler(request, context);
    } catch (error) {
      return errorResponse(error, context);
    }
  };
}

export function errorResponse(error: unknown, context: InvocationContext): HttpResponseInit {
  if (error instanceof HttpError) {
    const { problems, extra, log } = error.options;
    if (log) context[log](error.message);
    return problem(error.status, error.publicMessage, problems, extra);
  }
  if (error instanceof ConfigError) {
    context.error(error.message);
    return problem(503, 'The app is not configured', error.problems.map(settingProblem));
  }
  context.error(`Unhandled error: ${describeError(error)}`);
  return problem(500, 'Internal error');
}

const settingProblem = (text: string): Problem => {
  const at = text.indexOf(': ');
  return { field: text.slice(0, at), message: text.slice(at + 2) };
};

/** Name and message only: error objects from HTTP clients carry request config, credentials included. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${code ? ` ${String(code)}` : ''}: ${error.message}`;
  }
  return String(error);
}
