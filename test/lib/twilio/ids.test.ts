import { describe, expect, it } from 'vitest';
import { callSid, messageSid, phoneNumber } from '../../../lib/twilio/ids';

const hex = '0123456789abcdef0123456789abcdef';

describe("Twilio's identifiers", () => {
  it('takes a call SID in any hex case and gives it back as Twilio writes it', () => {
    expect(callSid.parse(`ca${hex.toUpperCase()}`)).toBe(`CA${hex}`);
    for (const bad of [`CA${hex.slice(1)}`, `SM${hex}`, `CA${hex}0`, `CA${hex.slice(1)}g`]) {
      expect(callSid.safeParse(bad).error?.issues[0]?.message, bad).toBe(
        'must be a call SID (CA followed by 32 hex digits)',
      );
    }
    expect(callSid.safeParse(undefined).error?.issues[0]?.message).toBe('is required');
  });

  it('takes SMS and MMS message SIDs', () => {
    expect(messageSid.parse(`SM${hex}`)).toBe(`SM${hex}`);
    expect(messageSid.parse(`mm${hex}`)).toBe(`MM${hex}`);
    expect(messageSid.safeParse(`CA${hex}`).success).toBe(false);
  });

  it('takes phone numbers in E.164 only', () => {
    expect(phoneNumber.parse('+15550100000')).toBe('+15550100000');
    for (const bad of ['15550100000', '+0555', '555-0100', 'client:alice', '+1 555 010 0000']) {
      expect(phoneNumber.safeParse(bad).success, bad).toBe(false);
    }
  });
});
