import { InvocationContext } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { callKind } from '../../../../lib/outbound/kinds/call';
import { readFlowState } from '../../../../lib/records/flowState';
import { useFakeTwilio } from '../../../support/fakeTwilio';
import { TEST_PHONE_NUMBER } from '../../../support/settings';

const twilio = useFakeTwilio();

const answerUrl = 'https://app.example.com/api/twilio/flow/step?step=reminder&turn=1';

describe('a queued call (a call campaign’s)', () => {
  it('is placed through the Calls API into its flow step, with its variables kept as the call’s flow state', async () => {
    const call = callKind.payload.parse({
      to: '+15550100125',
      from: TEST_PHONE_NUMBER,
      answerUrl,
      variables: { name: 'Ada' },
    });
    const placed = await callKind.send(twilio.settings, 'https://app.example.com', call, new InvocationContext());
    expect(placed.sid).toMatch(/^CA/);
    const form = twilio.fake.received.at(-1)!.form;
    expect(form.Url).toEqual([answerUrl]);
    expect(form.StatusCallback?.[0]).toMatch(/^https:\/\/app\.example\.com\/api\/twilio\/status/);
    const kept = await readFlowState(twilio.settings, 'call', placed.sid, AbortSignal.timeout(8_000));
    expect(kept.state.variables).toEqual({ name: 'Ada' });
    expect(callKind.observation(placed, call)).toMatchObject({ kind: 'call', sid: placed.sid });
    expect(callKind.describe(call)).toBe('call to +15550100125');
  });

  it('holds a number, a sender and, when it has one, an answer URL', () => {
    expect(callKind.payload.safeParse({ to: '+15550100125', from: TEST_PHONE_NUMBER }).success).toBe(true);
    expect(callKind.payload.safeParse({ to: '', from: TEST_PHONE_NUMBER }).success).toBe(false);
    expect(callKind.payload.safeParse({ to: '+1555', from: TEST_PHONE_NUMBER, answerUrl: 'not a url' }).success).toBe(
      false,
    );
  });
});
