/**
 * Recordings made by <Record>, <Dial record> and Record=true: their JSON (account and call
 * Recordings resources) and their audio, as Twilio serves RecordingUrl: WAV by default or
 * with .wav, MP3 with .mp3, the metadata with .json. The audio is silence of the recorded length.
 * DELETE removes one (204), after which it is 404 like any unknown recording.
 */
import type { RecordingMade } from '../interpreter/callTypes';
import { callRecordingJson, pageJson, recordingJson, type EmulatedCall, type EmulatedRecording } from './resources';
import { api, notFound, type ApiRequest, type ApiResponse, type Route } from './router';
import { accountUrl, rfc2822 } from '../interpreter/twilioApi';
import type { EmulatorState } from './state';

const SID = '(RE[0-9a-fA-F]{32})';

export function recordingRoutes(state: EmulatorState): Route[] {
  const byCall = (request: ApiRequest) =>
    [...state.recordings.values()].filter((recording) => recording.callSid === request.sids[0]);
  return [
    {
      method: 'GET',
      pattern: api(`/Recordings/${SID}\\.json`),
      handle: (request) => ({ status: 200, json: recordingJson(find(state, request), state.url) }),
    },
    {
      method: 'GET',
      pattern: api(`/Recordings/${SID}(?:\\.wav)?`),
      handle: (request) => audio(find(state, request), 'wav'),
    },
    {
      method: 'GET',
      pattern: api(`/Recordings/${SID}\\.mp3`),
      handle: (request) => audio(find(state, request), 'mp3'),
    },
    {
      method: 'DELETE',
      pattern: api(`/Recordings/${SID}\\.json`),
      handle: (request) => remove(state, find(state, request)),
    },
    {
      method: 'GET',
      pattern: api('/Calls/([^/]+)/Recordings\\.json'),
      handle: (request) => ({
        status: 200,
        json: pageJson('recordings', request.path, byCall(request).map(callRecordingJson), request.query),
      }),
    },
    {
      method: 'GET',
      pattern: api(`/Calls/([^/]+)/Recordings/${SID}\\.json`),
      handle: (request) => {
        const recording = byCall(request).find((candidate) => candidate.sid === request.sids[1]);
        if (!recording) throw notFound(request.path);
        return { status: 200, json: callRecordingJson(recording) };
      },
    },
  ];
}

function remove(state: EmulatorState, recording: EmulatedRecording): ApiResponse {
  state.recordings.delete(recording.sid);
  return { status: 204 };
}

function find(state: EmulatorState, { sids, path }: ApiRequest): EmulatedRecording {
  const recording = state.recordings.get(sids[0] ?? '');
  if (!recording) throw notFound(path);
  return recording;
}

/** Keeps a recording of `call`; answers its URL and the parameters its status callback carries. */
export function recordCall(state: EmulatorState, call: EmulatedCall, made: RecordingMade) {
  const recording: EmulatedRecording = {
    ...made,
    accountSid: state.accountSid,
    callSid: call.sid,
    dateCreated: new Date(),
  };
  state.recordings.set(recording.sid, recording);
  const url = `${accountUrl(state.accountSid, state.url)}/Recordings/${recording.sid}`;
  return {
    sid: recording.sid,
    url,
    params: {
      AccountSid: state.accountSid,
      CallSid: call.sid,
      RecordingSid: recording.sid,
      RecordingUrl: url,
      RecordingDuration: String(recording.seconds),
      RecordingChannels: '1',
      RecordingStartTime: rfc2822(recording.startTime),
      RecordingSource: recording.source,
    },
  };
}

function audio(recording: EmulatedRecording, format: 'wav' | 'mp3'): ApiResponse {
  return format === 'wav'
    ? { status: 200, type: 'audio/x-wav', body: silentWav(recording.seconds) }
    : { status: 200, type: 'audio/mpeg', body: silentMp3(recording.seconds) };
}

const WAV_RATE = 8000;

/** A PCM WAV file (8 kHz, 16-bit, mono, as Twilio records calls) of `seconds` of silence. */
export function silentWav(seconds: number): Buffer {
  const dataBytes = Math.round(seconds * WAV_RATE) * 2;
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(WAV_RATE, 24);
  header.writeUInt32LE(WAV_RATE * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(dataBytes, 40);
  return Buffer.concat([header, Buffer.alloc(dataBytes)]);
}

// MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, mono, no CRC: 417-byte frames of 1,152 samples whose
// all-zero side information and main data decode as silence.
const MP3_HEADER = Buffer.from([0xff, 0xfb, 0x90, 0xc0]);
const MP3_FRAME_BYTES = 417;
const MP3_FRAME_SECONDS = 1152 / 44_100;

export function silentMp3(seconds: number): Buffer {
  const frame = Buffer.alloc(MP3_FRAME_BYTES);
  MP3_HEADER.copy(frame);
  const frames = Math.max(1, Math.ceil(seconds / MP3_FRAME_SECONDS));
  return Buffer.concat(Array.from({ length: frames }, () => frame));
}
