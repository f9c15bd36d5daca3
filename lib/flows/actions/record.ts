/**
 * `record`: a voicemail. Its callback (`record`) carries on with `then` or the next actions;
 * the recording itself arrives later at the `recording` route (handlers.ts), which keeps it
 * on the call's record and sends `notify`.
 */
import * as z from 'zod';
import { field } from '../../http/requests';
import type { FlowFacts } from '../../records/model';
import { e164, keys, seconds, stepName, text } from '../fields';
import { defineAction, lazySchema } from './action';

const notify = lazySchema(() =>
  z.strictObject({
    to: z.union([e164, z.array(e164).min(1).max(10)]),
    text: text
      .default(
        'Voicemail from {{ trigger.call.From }}, {{ trigger.call.RecordingDuration }} s: {{ trigger.call.RecordingUrl }}',
      )
      .meta({
        description:
          'The SMS, a template: {{ trigger.call.RecordingUrl }}, {{ trigger.call.RecordingDuration }}, the call’s {{ trigger.call.From }} and {{ trigger.call.To }}, its variables. The transcription follows in a second SMS when it arrives.',
      }),
  }),
);

/** The recording lengths Twilio transcribes (<Record transcribe>; error 13617 outside them). */
const TRANSCRIBED = { min: 2, max: 120 };

const schema = lazySchema(() =>
  z
    .strictObject({
      maxLength: seconds(14_400).optional(),
      finishOnKey: z.union([z.literal(''), keys]).optional(),
      playBeep: z.boolean().default(true),
      transcribe: z.boolean().default(false),
      then: stepName.optional().meta({ description: 'Step after the recording; default: the next actions.' }),
      notify: notify().optional().meta({ description: 'Text the owner about each recording.' }),
    })
    .meta({ description: 'Record the caller (a voicemail); the recording is kept on the call’s record.' }),
);

export const record = defineAction({
  get schema() {
    return schema();
  },
  ends: true,
  steps: (value) => (value.then ? [{ path: ['then'], step: value.then }] : []),
  problems: ({ transcribe, maxLength }) =>
    transcribe && maxLength !== undefined && (maxLength < TRANSCRIBED.min || maxLength > TRANSCRIBED.max)
      ? [
          {
            path: ['maxLength'],
            message: `must be ${TRANSCRIBED.min} to ${TRANSCRIBED.max} s with transcribe: Twilio transcribes recordings of ${TRANSCRIBED.min} to ${TRANSCRIBED.max} s only (error 13617)`,
          },
        ]
      : [],
  write: (twiml, { maxLength, finishOnKey, playBeep, transcribe }) => {
    const callback = twiml.url({}, 'recording');
    twiml.response.record({
      action: twiml.url({ turn: twiml.nextTurn }),
      method: 'POST',
      ...(maxLength !== undefined ? { maxLength } : {}),
      ...(finishOnKey !== undefined ? { finishOnKey } : {}),
      playBeep,
      recordingStatusCallback: callback,
      recordingStatusCallbackEvent: ['completed'],
      ...(transcribe ? { transcribe: true, transcribeCallback: callback } : {}),
    });
  },
  callback: (call, value) => {
    const duration = Number(field(call.params, 'RecordingDuration'));
    const recordingSid = field(call.params, 'RecordingSid');
    const facts: FlowFacts = {
      ...(Number.isInteger(duration) && duration >= 0 ? { recordingDuration: duration } : {}),
      ...(recordingSid ? { recordingSid } : {}),
    };
    // Twilio requests the action when the caller hangs up while recording (Digits=hangup) but
    // plays nothing of its answer: the path ends here, not at a step nobody heard.
    if (field(call.params, 'Digits') === 'hangup') {
      call.response.hangup();
      return call.answer({ ...facts, outcome: 'caller hung up' });
    }
    return call.then(facts, { step: value.then });
  },
});
