import { describe, expect, it } from 'vitest';
import { refusal, twimlOf } from './support';

describe('hangup', () => {
  it('hangup ends the call, and nothing after it is written', async () => {
    expect(await twimlOf([{ say: 'Bye' }, { hangup: true }, { say: 'never' }])).toBe(
      '<Response><Say>Bye</Say><Hangup/></Response>',
    );
    expect(refusal([{ hangup: false }])).toBeDefined();
  });
});
