import { describe, expect, it } from 'vitest';
import { callTranscript, pathLine } from '../../../lib/flows/transcript';
import type { CallOrMessage, RecordEvent } from '../../../lib/records/model';

const event = (facts: Partial<RecordEvent>): RecordEvent => ({
  status: 'in-progress',
  source: 'flow',
  at: '2026-11-29T12:00:00.000Z',
  ...facts,
});

describe('pathLine', () => {
  it('reads the turns in turn order, whatever order they were stored in', () => {
    const events = [
      event({ turn: 2, dialed: '+15550001111', outcome: 'no-answer', step: 'voicemail' }),
      event({ turn: 0, step: 'menu' }),
      event({ turn: 1, digits: '2', step: 'sales' }),
      event({ source: 'status-callback', status: 'ringing' }),
    ];
    expect(pathLine(events)).toBe('menu · pressed 2 · sales · dial +15550001111 no-answer · voicemail');
  });

  it('says what was said, and an outcome with no number dialed', () => {
    expect(pathLine([event({ turn: 0, speech: 'sales please', outcome: 'timeout', step: 'menu' })])).toBe(
      'said "sales please" · timeout · menu',
    );
  });

  it('adds a recording once: at its turn, or when its callback came, then its transcription', () => {
    const recorded = event({ turn: 3, recordingSid: 'RE1', recordingDuration: 14 });
    const callback = event({ source: 'recording-callback', recordingSid: 'RE1', recordingDuration: 14 });
    const transcribed = event({ source: 'recording-callback', recordingSid: 'RE1', transcription: 'call me back' });
    expect(pathLine([recorded, callback, transcribed])).toBe('recorded 14 s · transcription "call me back"');
    expect(pathLine([callback])).toBe('recorded 14 s');
  });

  it('is empty without flow events', () => {
    expect(pathLine([event({ source: 'status-callback', status: 'completed' })])).toBe('');
  });
});

describe('callTranscript', () => {
  const call: CallOrMessage & { events: RecordEvent[] } = {
    sid: `CA${'0'.repeat(32)}`,
    kind: 'call',
    direction: 'inbound',
    status: 'completed',
    from: '+15550002222',
    to: '+15550100000',
    duration: 42,
    createdAt: '2026-11-29T12:00:00.000Z',
    updatedAt: '2026-11-29T12:01:00.000Z',
    events: [event({ turn: 0, step: 'welcome' })],
  };

  it('gives who called whom and how it ended, then the path', () => {
    expect(callTranscript(call)).toBe(
      `CA${'0'.repeat(32)} · inbound +15550002222 → +15550100000 · completed · 42 s\nwelcome\n`,
    );
  });

  it('says so when the flow left no events, and leaves out an unknown duration', () => {
    expect(callTranscript({ ...call, duration: undefined, status: 'ringing', events: [] })).toBe(
      `CA${'0'.repeat(32)} · inbound +15550002222 → +15550100000 · ringing\n(no flow events)\n`,
    );
  });
});
