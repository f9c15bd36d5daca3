import { describe, expect, it } from 'vitest';
import { CARRIER_KEYWORDS, carrierKeyword, normalizedKeyword } from '../../../lib/flows/keywords';

describe('normalizedKeyword', () => {
  it('ignores case, surrounding spaces and punctuation, and folds inner spaces', () => {
    expect(normalizedKeyword('  stop!! ')).toBe('STOP');
    expect(normalizedKeyword('...Help?')).toBe('HELP');
    expect(normalizedKeyword('stop \t  all')).toBe('STOP ALL');
    expect(normalizedKeyword('¿Info?')).toBe('INFO');
  });

  it('keeps punctuation inside the text', () => {
    expect(normalizedKeyword("don't stop")).toBe("DON'T STOP");
  });
});

describe('carrierKeyword', () => {
  it("knows Twilio's default opt-out, opt-in and help keywords", () => {
    expect(carrierKeyword('stop')).toEqual({ keyword: 'STOP', kind: 'opt-out' });
    expect(carrierKeyword('Unsubscribe.')).toEqual({ keyword: 'UNSUBSCRIBE', kind: 'opt-out' });
    expect(carrierKeyword('stop all')).toEqual({ keyword: 'STOP ALL', kind: 'opt-out' });
    expect(carrierKeyword('START')).toEqual({ keyword: 'START', kind: 'opt-in' });
    expect(carrierKeyword('unstop')).toEqual({ keyword: 'UNSTOP', kind: 'opt-in' });
    expect(carrierKeyword('help')).toEqual({ keyword: 'HELP', kind: 'help' });
    expect(carrierKeyword('info')).toEqual({ keyword: 'INFO', kind: 'help' });
  });

  it('matches the whole message only, as Twilio does', () => {
    expect(carrierKeyword('please stop')).toBeUndefined();
    expect(carrierKeyword('stopping')).toBeUndefined();
    expect(carrierKeyword('help me')).toBeUndefined();
    expect(carrierKeyword('')).toBeUndefined();
  });

  it('finds every listed keyword however it is typed', () => {
    for (const [keyword, kind] of Object.entries(CARRIER_KEYWORDS)) {
      expect(carrierKeyword(` ${keyword.toLowerCase()}. `)).toEqual({ keyword, kind });
    }
  });
});
