import { describe, expect, it } from 'vitest';
import { callRequest, messageRequest } from '../../../lib/outbound/schemas';

const messagesOf = (result: { error?: { issues: Array<{ path: PropertyKey[]; message: string }> } }) =>
  result.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) ?? [];

describe('callRequest', () => {
  it('takes a number to call and at most one of say, twiml, url or flow', () => {
    expect(callRequest.parse({ to: '+15550002222' })).toEqual({ to: '+15550002222' });
    expect(callRequest.parse({ to: '+15550002222', from: '+15550100000', say: 'Hi' }).say).toBe('Hi');
    expect(messagesOf(callRequest.safeParse({ to: '+15550002222', say: 'Hi', url: 'https://example.com/x' }))).toEqual([
      'say: give at most one of say, twiml, url or flow',
    ]);
  });

  it('checks the TwiML it is given before Twilio would', () => {
    expect(callRequest.safeParse({ to: '+15550002222', twiml: '<Response><Say>Hi</Say></Response>' }).success).toBe(
      true,
    );
    const broken = callRequest.safeParse({ to: '+15550002222', twiml: '<Response><Say>Hi</Response>' });
    expect(broken.error?.issues[0]?.path).toEqual(['twiml']);
  });

  it('wants an https url (http only for this machine), and refuses unknown fields', () => {
    expect(callRequest.safeParse({ to: '+15550002222', url: 'http://example.com/x' }).success).toBe(false);
    expect(callRequest.safeParse({ to: '+15550002222', url: 'http://localhost:7071/x' }).success).toBe(true);
    expect(callRequest.safeParse({ to: '+15550002222', callerId: 'x' }).error?.issues[0]?.code).toBe(
      'unrecognized_keys',
    );
  });
});

describe('messageRequest', () => {
  it('takes a number, a body of 1 to 1600 characters and up to 10 https media URLs', () => {
    expect(messageRequest.parse({ to: '+15550002222', body: 'hi' })).toEqual({ to: '+15550002222', body: 'hi' });
    expect(messageRequest.safeParse({ to: '+15550002222', body: '' }).success).toBe(false);
    expect(messageRequest.safeParse({ to: '+15550002222', body: 'x'.repeat(1601) }).success).toBe(false);
    const media = (n: number) => Array.from({ length: n }, (_, i) => `https://example.com/${i}.png`);
    expect(messageRequest.safeParse({ to: '+15550002222', body: 'hi', mediaUrl: media(10) }).success).toBe(true);
    expect(messageRequest.safeParse({ to: '+15550002222', body: 'hi', mediaUrl: media(11) }).success).toBe(false);
    expect(
      messagesOf(messageRequest.safeParse({ to: '+15550002222', body: 'hi', mediaUrl: ['http://example.com/a.png'] })),
    ).toEqual(['mediaUrl.0: must be an https URL']);
  });
});
