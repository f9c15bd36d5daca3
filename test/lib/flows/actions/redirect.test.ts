import { describe, expect, it } from 'vitest';
import { redirect } from '../../../../lib/flows/actions/redirect';
import { refusal, twimlOf } from './support';

describe('redirect', () => {
  it('goes to another step through our step route, or POSTs to an https URL of TwiML', async () => {
    expect(await twimlOf([{ redirect: { step: 'sales' } }], ['sales'])).toBe(
      '<Response><Redirect method="POST">/api/twilio/flow/step?step=sales&amp;turn=1</Redirect></Response>',
    );
    expect(await twimlOf([{ redirect: { url: 'https://example.com/twiml' } }])).toBe(
      '<Response><Redirect method="POST">https://example.com/twiml</Redirect></Response>',
    );
  });

  it('ends the step, and names the step it goes to at once (for redirect loops)', () => {
    expect(redirect.ends).toBe(true);
    expect(redirect.goesTo!({ step: 'sales' })).toBe('sales');
    expect(redirect.goesTo!({ url: 'https://example.com/twiml' })).toBeUndefined();
    expect(redirect.steps!({ step: 'sales' })).toEqual([{ path: ['step'], step: 'sales' }]);
  });

  it('refuses a URL that is not https and anything but one of step or url', () => {
    expect(refusal([{ redirect: { url: 'http://example.com' } }])).toBeDefined();
    expect(refusal([{ redirect: { step: 'a', url: 'https://example.com' } }])).toBeDefined();
  });
});
