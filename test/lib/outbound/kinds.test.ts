import { describe, expect, it } from 'vitest';
import { OUTBOUND_KINDS, queuedMessage, queuedText } from '../../../lib/outbound/kinds';

describe('what travels on the outbound queue', () => {
  it('is a message of a known kind with its key and the app’s origin', () => {
    const message = queuedText('recording|RE1|+15550100000', 'https://app.example.com', {
      to: '+15550100000',
      from: '+15005550006',
      body: 'Voicemail',
    });
    expect(queuedMessage.parse(message)).toEqual({ ...message, kind: 'sms' });
    expect(Object.keys(OUTBOUND_KINDS)).toContain(message.kind);
  });

  it('refuses a message of an unknown kind, with no key, or with no origin to build callbacks from', () => {
    const fields = (value: object) => queuedMessage.safeParse(value).error?.issues.map((issue) => issue.path.join('.'));
    const valid = { kind: 'sms', key: 'k', origin: 'https://app.example.com', payload: {} };
    expect(fields(valid)).toBeUndefined();
    expect(fields({ ...valid, kind: 'fax' })).toEqual(['kind']);
    expect(fields({ ...valid, key: '' })).toEqual(['key']);
    expect(fields({ ...valid, origin: 'not a url' })).toEqual(['origin']);
  });
});
