import MessagingResponse from 'twilio/lib/twiml/MessagingResponse';
import VoiceResponse from 'twilio/lib/twiml/VoiceResponse';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

// XML 1.0 forbids these code points; the TwiML builder throws on them, so a hostile
// setting or message text would otherwise become a 500.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const XML_ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

/** Text made safe for XML 1.0: illegal control characters dropped, lone surrogates replaced. */
export function xmlSafe(text: string): string {
  return text.toWellFormed().replace(XML_ILLEGAL, '');
}

/** `<Response><Say>text</Say></Response>` */
export function sayTwiml(text: string): string {
  const response = new VoiceResponse();
  response.say(xmlSafe(text));
  return response.toString();
}

/** `<Response><Message>text</Message></Response>` */
export function messageTwiml(text: string): string {
  const response = new MessagingResponse();
  response.message(xmlSafe(text));
  return response.toString();
}

/**
 * Why a document is not usable as TwiML, or undefined when it is well-formed with `<Response>`
 * as its root. Never throws: whatever the parser refuses (nesting too deep, say) is a reason.
 */
export function twimlProblem(document: string): string | undefined {
  // TwiML has no DTD; one could only declare entities, which expand.
  if (/<!DOCTYPE/i.test(document)) return 'must not contain a DOCTYPE';
  try {
    const validation = XMLValidator.validate(document);
    if (validation !== true) return `is not well-formed XML (${validation.err.msg})`;
    const parsed = new XMLParser({ ignoreDeclaration: true, ignorePiTags: true, processEntities: false }).parse(
      document,
    ) as Record<string, unknown>;
    const roots = Object.keys(parsed);
    if (roots.length !== 1 || roots[0] !== 'Response' || Array.isArray(parsed.Response)) {
      return 'must have one <Response> as its root element';
    }
    return undefined;
  } catch (error) {
    return `cannot be read as TwiML (${error instanceof Error ? error.message : String(error)})`;
  }
}
