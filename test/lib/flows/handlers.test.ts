import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvocationContext } from '@azure/functions';
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../../dev/azurite';
import { QUEUES } from '../../../lib/config/queues';
import { getSettings } from '../../../lib/config/settings';
import { flowsOrDefault, flowWebhook, messageFlowWebhook, voiceFlowWebhook } from '../../../lib/flows/handlers';
import { DEFAULT_FLOWS } from '../../../lib/flows/schema';
import { optOutsOf } from '../../../lib/records/optOuts';
import { findRecord } from '../../../lib/records/store';
import { writeFlowFile } from '../../support/flowFile';
import { invoke, signedForm } from '../../support/invoke';
import { TEST_ACCOUNT_SID, TEST_PHONE_NUMBER, useSettings } from '../../support/settings';

const OWNER = '+15550100000';
const flows = writeFlowFile('flow-handlers', {
  voice: {
    entry: 'menu',
    steps: {
      menu: { actions: [{ gather: { prompt: 'Press 1.', branches: { '1': 'vm' }, retries: 0 } }, { say: 'Bye.' }] },
      vm: { actions: [{ sms: 'Thanks for calling' }, { record: { notify: { to: OWNER } } }] },
    },
  },
  messaging: { reply: 'Thanks!' },
});
/** An Azurite of this file's own: the texts the handlers queue are read back from its outbound queue. */
let azurite: RunningAzurite;
beforeAll(async () => {
  azurite = await startAzurite({ services: 'app' });
});
beforeEach(() => useSettings({ AzureWebJobsStorage: azurite.connectionString, PHONE_FLOWS: flows.file }));
afterAll(async () => {
  useSettings({});
  await azurite?.stop();
  flows.remove();
});

const hex = () => randomBytes(16).toString('hex');
const APP = 'http://127.0.0.1:7071/api/twilio';
const callOf = () => ({
  CallSid: `CA${hex()}`,
  AccountSid: TEST_ACCOUNT_SID,
  From: `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`,
  To: TEST_PHONE_NUMBER,
  CallStatus: 'in-progress',
  Direction: 'inbound',
});
const flow = (kind: string, query: string, fields: Record<string, string>) =>
  invoke(flowWebhook, { ...signedForm(`${APP}/flow/${kind}?${query}`, fields), params: { kind } });
async function queuedTexts(): Promise<Array<{ key: string; payload: { to: string; body: string } }>> {
  const queue = new QueueClient(azurite.connectionString, QUEUES.outbound);
  const { peekedMessageItems } = await queue.peekMessages({ numberOfMessages: 32 });
  return peekedMessageItems.map((item) => JSON.parse(Buffer.from(item.messageText, 'base64').toString('utf8')));
}

describe('the voice flow webhooks (their own Azurite)', () => {
  it('answer a call with the entry step and record it', async () => {
    const call = callOf();
    const answer = await invoke(voiceFlowWebhook, signedForm(`${APP}/voice`, call));
    expect(answer.response.status).toBe(200);
    expect(answer.text).toContain('<Gather');
    expect(answer.text).toContain('Press 1.');
    expect(await findRecord(getSettings(), 'call', call.CallSid)).toMatchObject({ from: call.From });
  });

  it('take the caller’s choice, queue the step’s text to the caller, and answer a replay with what it heard first', async () => {
    const call = callOf();
    await invoke(voiceFlowWebhook, signedForm(`${APP}/voice`, call));
    const chose = await flow('gather', 'step=menu&at=0&try=1&turn=1', { ...call, Digits: '1' });
    expect(chose.text).toContain('<Record');
    const replay = await flow('gather', 'step=menu&at=0&try=1&turn=1', { ...call, Digits: '9' });
    expect(replay.text).toBe(chose.text);
    const texts = (await queuedTexts()).filter((text) => text.payload.to === call.From);
    expect(texts.map((text) => text.payload.body)).toEqual(['Thanks for calling']);
  });

  it('send a caller whose step is gone back to the entry step, saying so in the log', async () => {
    const call = callOf();
    const answer = await flow('step', 'step=removed&turn=1', call);
    expect(answer.response.status).toBe(200);
    expect(answer.text).toContain('<Say>');
    expect(answer.text).toContain('/api/twilio/flow/step?step=menu&amp;turn=2</Redirect>');
    expect(answer.logs.map((line) => line.message).join('\n')).toContain('which the flow file does not have');
  });

  it('keep a recording on the call and queue its notice to the owner, once per recording and recipient', async () => {
    const call = callOf();
    await invoke(voiceFlowWebhook, signedForm(`${APP}/voice`, call));
    const recording = {
      ...call,
      RecordingSid: `RE${hex()}`,
      RecordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Recordings/RE1`,
      RecordingDuration: '7',
      RecordingStatus: 'completed',
    };
    expect((await flow('recording', 'step=vm&at=1', recording)).response.status).toBe(204);
    expect(await findRecord(getSettings(), 'call', call.CallSid)).toMatchObject({
      recordings: [recording.RecordingUrl],
    });
    const notices = (await queuedTexts()).filter((text) => text.key === `recording|${recording.RecordingSid}|${OWNER}`);
    expect(notices.map((text) => text.payload.body)).toEqual([
      `Voicemail from ${call.From}, 7 s: ${recording.RecordingUrl}`,
    ]);
  });
});

describe('the SMS flow webhook (its own Azurite)', () => {
  const text = (Body: string, From = callOf().From) => ({
    MessageSid: `SM${hex()}`,
    AccountSid: TEST_ACCOUNT_SID,
    From,
    To: TEST_PHONE_NUMBER,
    Body,
  });

  it('puts a STOP on the opt-out list and leaves the answer to the carrier', async () => {
    const stop = text('STOP');
    const answer = await invoke(messageFlowWebhook, signedForm(`${APP}/sms`, stop));
    expect(answer.response.status).toBe(200);
    expect(answer.text).not.toContain('<Message>');
    expect(await optOutsOf(getSettings(), stop.From, TEST_PHONE_NUMBER)).toHaveLength(1);
  });

  it('withholds the reply to a number on the opt-out list, and replies to others', async () => {
    const from = callOf().From;
    await invoke(messageFlowWebhook, signedForm(`${APP}/sms`, text('STOP', from)));
    const withheld = await invoke(messageFlowWebhook, signedForm(`${APP}/sms`, text('hello', from)));
    expect(withheld.text).not.toContain('<Message>');
    const answered = await invoke(messageFlowWebhook, signedForm(`${APP}/sms`, text('hello')));
    expect(answered.text).toContain('<Message>Thanks!</Message>');
  });
});

describe('flowsOrDefault', () => {
  it('answers with the seed’s default flow when the flow file is broken, logging why', () => {
    const broken = join(flows.dir, 'broken.json');
    writeFileSync(broken, '{ "voice": ');
    useSettings({ PHONE_FLOWS: broken });
    const lines: string[] = [];
    const context = new InvocationContext({ logHandler: (_level, ...args) => lines.push(args.join(' ')) });
    expect(flowsOrDefault(getSettings(), context)).toBe(DEFAULT_FLOWS);
    expect(lines.join('\n')).toContain('Answered with the default flow.');
  });
});
