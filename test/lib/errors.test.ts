import { describe, expect, it } from 'vitest';
import { AppError, BadRequestError, describeError, NotFoundError, UnavailableError } from '../../lib/errors';

describe('the error kinds', () => {
  it('are all AppErrors carrying the status and the message a caller may see', () => {
    const errors = [
      new BadRequestError(400, 'Invalid request', [{ field: 'to', message: 'must be E.164' }]),
      new NotFoundError('No such call'),
      new UnavailableError('connect ECONNREFUSED 127.0.0.1:10002', 'Record storage is unavailable'),
    ];
    for (const error of errors) expect(error).toBeInstanceOf(AppError);
    expect(errors.map((error) => [error.name, error.status, error.publicMessage])).toEqual([
      ['BadRequestError', 400, 'Invalid request'],
      ['NotFoundError', 404, 'No such call'],
      ['UnavailableError', 503, 'Record storage is unavailable'],
    ]);
    expect(errors[0]!.options.problems).toEqual([{ field: 'to', message: 'must be E.164' }]);
  });

  it('keep what only the log may see apart from what the caller sees', () => {
    const down = new UnavailableError('connect ECONNREFUSED 127.0.0.1:10002', 'Record storage is unavailable');
    expect(down.message).toBe('connect ECONNREFUSED 127.0.0.1:10002');
    expect(down.publicMessage).toBe('Record storage is unavailable');
    expect(down.options.log).toBe('error');
    expect(new AppError(409, 'Already cancelled').message).toBe('Already cancelled');
    expect(new BadRequestError(400, 'Invalid request').options.log).toBeUndefined();
  });
});

describe('describeError', () => {
  it('says the name, the code and the message, and nothing else an HTTP client error carries', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED'), {
      code: 'ECONNREFUSED',
      config: { auth: { password: 'secret-token' } },
    });
    expect(describeError(error)).toBe('Error ECONNREFUSED: connect ECONNREFUSED');
    expect(describeError(new TypeError('bad'))).toBe('TypeError: bad');
    expect(describeError('plain text')).toBe('plain text');
  });
});
