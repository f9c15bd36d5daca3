import { describe, expect, it } from 'vitest';
import { record } from '../../../../lib/flows/actions/record';
import { answerCallback } from '../../../../lib/flows/voice';
import { call, flowOf, settings, twimlOf, XML } from './support';

describe('record: the voicemail it takes', () => {
  it('records with a beep, its callback carrying the next turn and its recording callbacks the step', async () => {
    expect(await twimlOf([{ record: { maxLength: 30 } }])).toBe(
      '<Response><Record action="/api/twilio/flow/record?step=menu&amp;at=0&amp;turn=1" method="POST" maxLength="30" playBeep="true" recordingStatusCallback="/api/twilio/flow/recording?step=menu&amp;at=0" recordingStatusCallbackEvent="completed"/></Response>',
    );
  });

  it('asks for a transcription sent to the same recording callback', async () => {
    const twiml = await twimlOf([{ record: { transcribe: true } }]);
    expect(twiml).toContain('transcribe="true" transcribeCallback="/api/twilio/flow/recording?step=menu&amp;at=0"');
  });

  it('refuses a length Twilio does not transcribe when transcribe is on (error 13617)', () => {
    const problems = (value: object) => record.problems!(record.schema.parse(value));
    expect(problems({ transcribe: true, maxLength: 300 })).toEqual([
      { path: ['maxLength'], message: expect.stringContaining('13617') },
    ]);
    expect(problems({ transcribe: true, maxLength: 60 })).toEqual([]);
    expect(problems({ maxLength: 300 })).toEqual([]);
  });
});

describe('record: its callback', () => {
  const flows = flowOf([{ record: { then: 'thanks' } }, { say: 'never' }], ['thanks']);
  const answer = async (params: Record<string, string>) =>
    (await answerCallback('record', { step: 'menu', at: 0, turn: 1 }, flows, { ...call, ...params }, settings))!;

  it('goes on to then, keeping the recording’s SID and length on the record', async () => {
    expect(await answer({ RecordingSid: 'RE0123456789abcdef0123456789abcdef', RecordingDuration: '12' })).toEqual({
      twiml: `${XML}<Response><Say>thanks</Say></Response>`,
      facts: {
        recordingDuration: 12,
        recordingSid: 'RE0123456789abcdef0123456789abcdef',
        turn: 1,
        step: 'thanks',
      },
    });
  });

  it('hangs up when the caller hung up while recording: nobody would hear the next step', async () => {
    expect(await answer({ Digits: 'hangup', RecordingDuration: '4' })).toEqual({
      twiml: `${XML}<Response><Hangup/></Response>`,
      facts: { recordingDuration: 4, turn: 1, outcome: 'caller hung up' },
    });
  });
});
