import { HttpRequest, InvocationContext } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../lib/config/settings';
import { AppError, BadRequestError, NotFoundError, UnavailableError } from '../../../lib/errors';
import { describeInvocation, errorResponse, handle } from '../../../lib/http/handle';

/** A context whose log lines the test reads. */
function logged() {
  const lines: Array<[string, string]> = [];
  const context = new InvocationContext({
    logHandler: (level, ...args) => lines.push([level, args.map(String).join(' ')]),
  });
  return { context, lines };
}

describe('errorResponse', () => {
  it('answers an AppError with its own status, public message, problems and extra fields', () => {
    const { context, lines } = logged();
    const error = new AppError(502, 'Twilio is out of reach', {
      problems: [{ field: 'to', message: 'is unreachable' }],
      extra: { code: 20003 },
      log: 'warn',
      logMessage: 'connect ECONNREFUSED 127.0.0.1:1',
    });
    expect(errorResponse(error, context)).toEqual({
      status: 502,
      jsonBody: {
        error: 'Twilio is out of reach',
        problems: [{ field: 'to', message: 'is unreachable' }],
        code: 20003,
      },
    });
    expect(lines).toEqual([
      ['warning', expect.stringMatching(/^connect ECONNREFUSED 127\.0\.0\.1:1 \{"invocationId"/)],
    ]);
  });

  it('answers the kinds of AppError by their status, logging only those that ask', () => {
    const { context, lines } = logged();
    expect(errorResponse(new BadRequestError(415, 'Content-Type must be application/json'), context)).toMatchObject({
      status: 415,
      jsonBody: { error: 'Content-Type must be application/json' },
    });
    expect(errorResponse(new NotFoundError('No such call'), context).status).toBe(404);
    expect(lines).toEqual([]);
    const down = errorResponse(new UnavailableError('ECONNREFUSED on 10002', 'Storage is unavailable'), context);
    expect(down).toEqual({ status: 503, jsonBody: { error: 'Storage is unavailable' } });
    expect(lines).toEqual([['error', expect.stringMatching(/^ECONNREFUSED on 10002 \{/)]]);
  });

  it('answers bad settings 503, naming each, and logs them all in one line: a ConfigError is an AppError', () => {
    const { context, lines } = logged();
    const error = new ConfigError([
      { field: 'TWILIO_AUTH_TOKEN', message: 'is required' },
      { field: 'PUBLIC_BASE_URL', message: 'must use https (http is allowed for localhost only)' },
    ]);
    expect(error).toBeInstanceOf(AppError);
    expect(errorResponse(error, context)).toEqual({
      status: 503,
      jsonBody: {
        error: 'The app is not configured',
        problems: [
          { field: 'TWILIO_AUTH_TOKEN', message: 'is required' },
          { field: 'PUBLIC_BASE_URL', message: 'must use https (http is allowed for localhost only)' },
        ],
      },
    });
    expect(lines).toEqual([
      [
        'error',
        expect.stringContaining(
          'Invalid settings: TWILIO_AUTH_TOKEN: is required; PUBLIC_BASE_URL: must use https (http is allowed for localhost only) {',
        ),
      ],
    ]);
  });

  it('answers anything else with a bare 500, the detail in the log only', () => {
    const { context, lines } = logged();
    const answer = errorResponse(new TypeError('secret.internal is undefined'), context);
    expect(answer).toEqual({ status: 500, jsonBody: { error: 'Internal error' } });
    expect(JSON.stringify(answer)).not.toContain('secret');
    expect(lines).toEqual([
      ['error', expect.stringMatching(/^Unhandled error: TypeError: secret.internal is undefined \{/)],
    ]);
  });

  it('logs an unexpected error once, with its stack frames and what the invocation was about as JSON', () => {
    const { context, lines } = logged();
    describeInvocation(context, { callSid: 'CA0123', step: 'menu', messageSid: undefined });
    errorResponse(new TypeError('boom'), context);
    expect(lines).toHaveLength(1);
    const [first, ...frames] = lines[0]![1].split('\n');
    expect(JSON.parse(/(\{.*\})$/.exec(first!)![1]!)).toEqual({
      invocationId: 'unknown',
      functionName: 'unknown',
      callSid: 'CA0123',
      step: 'menu',
      kind: 'TypeError',
    });
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.every((frame) => /^\s+at /.test(frame))).toBe(true);
  });
});

describe('handle', () => {
  it('passes an answer through and turns a throw into its answer', async () => {
    const request = new HttpRequest({ url: 'http://localhost/api/x', method: 'GET' });
    const ok = handle(async () => ({ status: 204 }));
    expect(await ok(request, new InvocationContext())).toEqual({ status: 204 });
    const missing = handle(async () => {
      throw new NotFoundError('No such message');
    });
    expect(await missing(request, new InvocationContext())).toEqual({
      status: 404,
      jsonBody: { error: 'No such message' },
    });
  });
});
