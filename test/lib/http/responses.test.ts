import { describe, expect, it } from 'vitest';
import { json, problem, twiml } from '../../../lib/http/responses';

describe('responses', () => {
  it('answers TwiML as text/xml with status 200', () => {
    expect(twiml('<Response/>')).toEqual({
      status: 200,
      body: '<Response/>',
      headers: { 'Content-Type': 'text/xml; charset=utf-8' },
    });
  });

  it('answers an error as { error, problems, ...extra }, leaving out an empty problem list', () => {
    expect(problem(400, 'Invalid request', [{ field: 'to', message: 'is required' }]).jsonBody).toEqual({
      error: 'Invalid request',
      problems: [{ field: 'to', message: 'is required' }],
    });
    expect(problem(502, 'Twilio refused', [], { code: 21211 })).toEqual({
      status: 502,
      jsonBody: { error: 'Twilio refused', code: 21211 },
      headers: undefined,
    });
  });

  it('answers JSON with the status and headers given', () => {
    expect(json(201, { sid: 'CA1' }, { Location: '/api/calls/CA1' })).toEqual({
      status: 201,
      jsonBody: { sid: 'CA1' },
      headers: { Location: '/api/calls/CA1' },
    });
  });
});
