/**
 * GET /api/calls/{sid}/recordings/{recordingSid}: a call's recording, played in the console.
 * Twilio serves recordings only with the account's credentials, which never leave the app: it
 * fetches the audio and streams it on. Only a recording the call's record lists is served, so
 * this reads nothing the records do not already name.
 */
import type { HttpHandler, HttpRequest } from '@azure/functions';
import { getSettings } from '../config/settings';
import { BadRequestError, NotFoundError } from '../errors';
import { handle } from '../http/handle';
import { zodProblems } from '../http/requests';
import { callSid, recordingSid } from '../twilio/ids';
import { findRecord } from '../records/store';
import { fetchRecordingAudio } from '../twilio/client';

function param(request: HttpRequest, name: 'sid' | 'recordingSid', schema: typeof callSid): string {
  const parsed = schema.safeParse(request.params[name] ?? '');
  if (!parsed.success)
    throw new BadRequestError(
      400,
      `Invalid ${name}`,
      zodProblems(parsed.error).map((problem) => ({ ...problem, field: name })),
    );
  return parsed.data;
}

export const callRecording: HttpHandler = handle(async (request) => {
  const call = param(request, 'sid', callSid);
  const recording = param(request, 'recordingSid', recordingSid);
  const settings = getSettings();
  const record = await findRecord(settings, 'call', call);
  if (!record) throw new NotFoundError(`No call ${call} is recorded`);
  const listed = (record.recordings ?? []).some((url) => new RegExp(`/Recordings/${recording}(\\.\\w+)?$`).test(url));
  if (!listed) throw new NotFoundError(`Call ${call} has no recording ${recording}`);
  const audio = await fetchRecordingAudio(settings, recording);
  return {
    status: 200,
    body: audio.body ?? new Uint8Array(),
    headers: {
      'Content-Type': audio.headers.get('content-type') ?? 'audio/mpeg',
      ...(audio.headers.get('content-length') ? { 'Content-Length': audio.headers.get('content-length')! } : {}),
      'Cache-Control': 'private, max-age=3600',
    },
  };
});
