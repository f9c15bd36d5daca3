import { describe, expect, it } from 'vitest';
import type { CallText } from '../../../../lib/flows/voice';
import { MAX_SMS_LENGTH } from '../../../../lib/flows/text';
import { call, refusal, twimlOf } from './support';

describe('sms during a call', () => {
  it('queues a text to the caller from the number called, and writes no <Sms> verb', async () => {
    const outbox: CallText[] = [];
    const twiml = await twimlOf([{ sms: 'Thanks, {{ trigger.call.From }}' }, { say: 'Bye' }], [], outbox);
    expect(twiml).toBe('<Response><Say>Bye</Say></Response>');
    expect(outbox).toEqual([
      { key: `call-sms|${call.CallSid}|0|menu|0`, to: call.From, from: call.To, body: `Thanks, ${call.From}` },
    ]);
  });

  it('texts a fixed number when one is given, and cuts a long text to what one SMS may hold', async () => {
    const outbox: CallText[] = [];
    await twimlOf([{ sms: { text: 'x'.repeat(MAX_SMS_LENGTH + 50), to: '+15550100000' } }], [], outbox);
    expect(outbox[0]).toMatchObject({ to: '+15550100000' });
    expect(outbox[0]!.body).toHaveLength(MAX_SMS_LENGTH);
  });

  it('refuses a number that is not E.164', () => {
    expect(refusal([{ sms: { text: 'Hi', to: '555-0100' } }])).toBeDefined();
  });
});
