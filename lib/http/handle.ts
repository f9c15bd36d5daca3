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
