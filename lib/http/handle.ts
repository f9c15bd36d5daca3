import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { ConfigError } from '../config/settings';
import { AppError, describeError, type Problem } from '../errors';
import { logText } from '../logText';
import { problem } from './responses';

/**
 * The one place where what a handler throws becomes the answer the caller deserves: an
 * AppError's own status and body, 503 naming the bad settings (never their values), and a
 * bare 500 otherwise, with the detail only in the log.
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
  if (error instanceof ConfigError) {
    context.error(error.message);
    return problem(503, 'The app is not configured', error.problems.map(settingProblem));
  }
  context.error(`Unhandled error: ${logText(describeError(error), 2000)}`);
  return problem(500, 'Internal error');
}

const settingProblem = (text: string): Problem => {
  const at = text.indexOf(': ');
  return { field: text.slice(0, at), message: text.slice(at + 2) };
};
