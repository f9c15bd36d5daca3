import { randomBytes } from 'node:crypto';
import { InvocationContext } from '@azure/functions';
import { afterAll, describe, expect, it } from 'vitest';
import { shortenDeadlinesForTests } from '../../../lib/config/deadlines';
import { getSettings } from '../../../lib/config/settings';
import { answerTurnOnce } from '../../../lib/flows/turns';
import { closedPort } from '../../support/ports';
import { baseSettings, useSettings } from '../../support/settings';

afterAll(() => useSettings({}));

const params = () => ({
  CallSid: `CA${randomBytes(16).toString('hex')}`,
  From: '+15550100199',
  To: '+15005550006',
  CallStatus: 'in-progress',
});
const answer = (say: string) => ({ twiml: `<Response><Say>${say}</Say></Response>`, facts: { step: say } });
function logged() {
  const lines: string[] = [];
  return { lines, context: new InvocationContext({ logHandler: (_level, ...args) => lines.push(args.join(' ')) }) };
}

describe('answerTurnOnce (Azurite)', () => {
  it('answers a new turn with what was computed, and Twilio asking it again with what it heard first', async () => {
    useSettings({});
    const call = params();
    const { context } = logged();
    expect(
      await answerTurnOnce(getSettings(), context, { ...call, Digits: '2' }, 1, answer('sales'), 'gather'),
    ).toEqual({ twiml: answer('sales').twiml, replayed: false });
    expect(
      await answerTurnOnce(getSettings(), context, { ...call, Digits: '3' }, 1, answer('support'), 'gather'),
    ).toEqual({ twiml: answer('sales').twiml, replayed: true });
    expect((await answerTurnOnce(getSettings(), context, call, 2, answer('next'), 'step')).replayed).toBe(false);
  });

  it('still answers the caller when storage is out of reach, and logs that the turn is not recorded', async () => {
    const gone = `TableEndpoint=http://127.0.0.1:${await closedPort()}`;
    useSettings({
      AzureWebJobsStorage: baseSettings.AzureWebJobsStorage.replace(/TableEndpoint=http:\/\/[^/]+/, gone),
    });
    const restore = shortenDeadlinesForTests({ storageMs: 300 });
    try {
      const { context, lines } = logged();
      const call = params();
      expect(await answerTurnOnce(getSettings(), context, call, 1, answer('sales'), 'gather')).toEqual({
        twiml: answer('sales').twiml,
        replayed: false,
      });
      expect(lines.join('\n')).toContain(`Call ${call.CallSid}: turn 1 (gather) answered but not recorded`);
    } finally {
      restore();
    }
  });
});
