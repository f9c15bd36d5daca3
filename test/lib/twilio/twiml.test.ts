import { describe, expect, it } from 'vitest';
import { messageTwiml, sayTwiml, twimlProblem, xmlSafe } from '../../../lib/twilio/twiml';

describe('TwiML', () => {
  it("builds the seed's voice and SMS answers with the SDK's builders", () => {
    expect(sayTwiml('Hello Monkey!')).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hello Monkey!</Say></Response>',
    );
    expect(messageTwiml('Hi & <bye>')).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Message>Hi &amp; &lt;bye&gt;</Message></Response>',
    );
  });

  it('strips characters XML 1.0 forbids instead of failing', () => {
    const hostile = 'Hel\u0000lo\u0007 \u001Fworld\uFFFE\uD800!';
    expect(xmlSafe(hostile)).toBe('Hello world\uFFFD!');
    expect(sayTwiml(hostile)).toContain('<Say>Hello world\uFFFD!</Say>');
    expect(xmlSafe('tab\tline\nreturn\r')).toBe('tab\tline\nreturn\r');
  });

  it('accepts a well-formed document rooted at <Response>', () => {
    expect(twimlProblem('<Response><Say>Hi</Say></Response>')).toBeUndefined();
    expect(twimlProblem('<?xml version="1.0"?><Response/>')).toBeUndefined();
  });

  it.each([
    ['<Response><Say>Hi</Response>', /not well-formed XML/],
    ['<Say>Hi</Say>', /one <Response> as its root/],
    ['plain text', /not well-formed|one <Response> as its root/],
    ['<Response/><Response/>', /not well-formed|one <Response> as its root/],
  ])('explains why %j is not TwiML', (document, reason) => {
    expect(twimlProblem(document)).toMatch(reason);
  });
});
