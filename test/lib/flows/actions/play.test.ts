import { describe, expect, it } from 'vitest';
import { refusal, twimlOf } from './support';

describe('play', () => {
  it('plays an https audio file, or DTMF tones', async () => {
    expect(await twimlOf([{ play: 'https://example.com/hold.mp3' }])).toBe(
      '<Response><Play>https://example.com/hold.mp3</Play></Response>',
    );
    expect(await twimlOf([{ play: { digits: '1w2#' } }])).toBe('<Response><Play digits="1w2#"/></Response>');
    expect(await twimlOf([{ play: { url: 'https://example.com/a.mp3', loop: 0 } }])).toBe(
      '<Response><Play loop="0">https://example.com/a.mp3</Play></Response>',
    );
  });

  it('refuses audio that is not https, and tones that are not DTMF keys', () => {
    expect(refusal([{ play: 'http://example.com/hold.mp3' }])).toContain('must be an https URL');
    expect(refusal([{ play: { digits: '12a' } }])).toBeDefined();
  });
});
