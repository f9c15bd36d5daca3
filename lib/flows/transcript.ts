/**
 * A call's path through the flow as a line people read: `menu · pressed 2 · sales · dial
 * +15550001111 no-answer · voicemail · recorded 14 s`, from the events on its record.
 */
import type { CallOrMessage, RecordEvent } from '../records/model';

function pieces(event: RecordEvent): string[] {
  // An outcome that names the step it leads to (`closed`, the closed-hours step) is said once.
  const outcome = event.outcome === event.step ? undefined : event.outcome;
  return [
    event.digits !== undefined ? `pressed ${event.digits}` : undefined,
    event.speech !== undefined ? `said "${event.speech}"` : undefined,
    event.dialed !== undefined ? `dial ${event.dialed} ${outcome ?? ''}`.trim() : outcome,
    event.recordingDuration !== undefined ? `recorded ${event.recordingDuration} s` : undefined,
    event.transcription !== undefined ? `transcription "${event.transcription}"` : undefined,
    event.step,
    ...(event.effects ?? []),
  ].filter((piece): piece is string => piece !== undefined && piece !== '');
}

/** The path: the flow's turns in order, then recordings and transcriptions as they arrived. */
export function pathLine(events: RecordEvent[]): string {
  const turns = events.filter((event) => event.turn !== undefined).sort((a, b) => a.turn! - b.turn!);
  const heard = new Set(turns.map((event) => event.recordingSid).filter(Boolean));
  const later = events.filter(
    (event) =>
      event.source === 'recording-callback' && (event.transcription !== undefined || !heard.has(event.recordingSid)),
  );
  return [...turns, ...later].flatMap(pieces).join(' · ');
}

/** Two lines: who called whom and how it ended, then the path. */
export function callTranscript(call: CallOrMessage & { events: RecordEvent[] }): string {
  const summary = [
    call.sid,
    `${call.direction} ${call.from ?? '?'} → ${call.to ?? '?'}`,
    call.status,
    ...(call.duration !== undefined ? [`${call.duration} s`] : []),
  ].join(' · ');
  return `${summary}\n${pathLine(call.events) || '(no flow events)'}\n`;
}
