import { describe, expect, it } from 'vitest';
import { refusal, twimlOf } from './support';

describe('pause', () => {
  it('is silence for the seconds given, in either form', async () => {
    expect(await twimlOf([{ pause: 3 }])).toBe('<Response><Pause length="3"/></Response>');
    expect(await twimlOf([{ pause: { length: 3 } }])).toBe('<Response><Pause length="3"/></Response>');
  });

  it('takes whole seconds from 1 to 600 only', () => {
    expect(refusal([{ pause: 600 }])).toBeUndefined();
    for (const wrong of [0, 601, 1.5]) expect(refusal([{ pause: wrong }]), String(wrong)).toBeDefined();
  });
});
