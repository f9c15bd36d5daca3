import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { AppError, describeError } from '../errors';
import { oneLine } from './logText';
import { problem } from './responses';

/**
 * The one place where what a handler throws becomes the answer the caller deserves: an
 * AppError's own status and body (a ConfigError's 503 names the bad settings, never their values),
 * and a bare 500 otherwise, with the detail only in the log.
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
  if (error instanceof AppError) {
    const { problems, extra, log } = error.options;
    if (log) context[log](`${error.message} ${logProperties(context)}`);
    return problem(error.status, error.publicMessage, problems, extra);
  }
  context.error(unexpectedErrorLine(error, context));
  return problem(500, 'Internal error');
}

/** What one invocation is about (call or message SID, flow step), named by what it reads first. */
const described = new WeakMap<InvocationContext, Record<string, string>>();

/** Names what this invocation is about, so any error it logs says so (`callSid`, `messageSid`, `step`…). */
export function describeInvocation(context: InvocationContext, properties: Record<string, string | undefined>): void {
  const known = Object.fromEntries(
    Object.entries(properties).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  described.set(context, { ...described.get(context), ...known });
}

/**
 * The invocation's properties as one JSON object on the first line of a log message. The
 * Functions Node worker formats every argument of context.log into the message text (util.format),
 * so properties passed as extra arguments would not become customDimensions either: a JSON object
 * at a fixed place is what a KQL query can parse (docs/deploy-and-operations.md).
 */
export function logProperties(context: InvocationContext, more: Record<string, unknown> = {}): string {
  return JSON.stringify({
    invocationId: context.invocationId,
    functionName: context.functionName,
    ...described.get(context),
    ...more,
  });
}

/** An error nobody expected, once: what it is, what the invocation was about, then its stack frames. */
export function unexpectedErrorLine(error: unknown, context: InvocationContext): string {
  const frames = error instanceof Error ? (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line)) : [];
  return [
    `Unhandled error: ${oneLine(describeError(error))} ${logProperties(context, { kind: errorKind(error) })}`,
    ...frames,
  ].join('\n');
}

const errorKind = (error: unknown) => (error instanceof Error ? error.name : typeof error);

/**
 * A handler whose module is loaded by its first request: code that only a few routes need (the
 * console's) is a chunk of its own in the package, never loaded by a webhook's cold start.
 */
export const loadedOnUse =
  (load: () => Promise<HttpHandler>): HttpHandler =>
  async (request, context) =>
    (await load())(request, context);
