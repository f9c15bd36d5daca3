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
    if (log) context[log](error.message);
    return problem(error.status, error.publicMessage, problems, extra);
  }
  context.error(`Unhandled error: ${oneLine(describeError(error))}`);
  return problem(500, 'Internal error');
}

/**
 * A handler whose module is loaded by its first request: code that only a few routes need (the
 * console's) is a chunk of its own in the package, never loaded by a webhook's cold start.
 */
export const loadedOnUse =
  (load: () => Promise<HttpHandler>): HttpHandler =>
  async (request, context) =>
    (await load())(request, context);
