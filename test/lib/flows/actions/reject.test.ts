import { describe, expect, it } from 'vitest';
import { refusal, twimlOf } from './support';

describe('reject', () => {
  it('does not answer the call: rejected unless a busy tone is asked for', async () => {
    expect(await twimlOf([{ reject: {} }])).toBe('<Response><Reject reason="rejected"/></Response>');
    expect(await twimlOf([{ reject: { reason: 'busy' } }])).toBe('<Response><Reject reason="busy"/></Response>');
    expect(refusal([{ reject: { reason: 'later' } }])).toBeDefined();
  });
});
