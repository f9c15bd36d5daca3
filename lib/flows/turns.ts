/**
 * A turn of a call is answered once. Twilio may ask the same turn again (a retry, or a replay
 * with other input: `Digits=2`, then `Digits=3`); the caller then hears what the turn was
 * first answered with, kept on the turn's event, and the record keeps the first input.
 */
import type { InvocationContext } from '@azure/functions';
import { storageDeadline } from '../config/deadlines';
import type { Settings } from '../config/settings';
import { field, type FormParams } from '../http/requests';
import { logText } from '../http/logText';
import { flowObservation } from '../records/observations';
import { findEvent, saveObservation } from '../records/store';
import { MAX_TEXT_LENGTH, StoreRefusedError, StoreUnavailableError } from '../records/tables';
import type { VoiceAnswer } from './voice';

/**
 * The TwiML for this turn: `answer` when the turn is new, else the one it was first answered
 * with (`replayed`: what this request computed is then not kept, its variables included).
 */
export async function answerTurnOnce(
  settings: Settings,
  context: InvocationContext,
  params: FormParams,
  turn: number,
  answer: VoiceAnswer,
  what: string,
): Promise<{ twiml: string; replayed: boolean }> {
  // A TwiML document too long for a table property is not kept: a replay is then answered anew.
  const kept = answer.twiml.length <= MAX_TEXT_LENGTH ? { twiml: answer.twiml } : {};
  const observation = flowObservation(params, { ...answer.facts, ...kept, turn });
  // The caller is on the line and Twilio does not retry an action URL: a turn that cannot be
  // recorded is still answered, and the log says what the record misses.
  try {
    const signal = storageDeadline();
    const { duplicate } = await saveObservation(settings, observation, { signal });
    if (!duplicate) return { twiml: answer.twiml, replayed: false };
    const first = await findEvent(settings, 'call', observation.sid, observation.eventKey, { signal });
    return { twiml: first?.twiml ?? answer.twiml, replayed: true };
  } catch (error) {
    if (!(error instanceof StoreUnavailableError || error instanceof StoreRefusedError)) throw error;
    context.warn(
      `Call ${logText(field(params, 'CallSid'))}: turn ${turn} (${what}) answered but not recorded: ${error.message}`,
    );
    return { twiml: answer.twiml, replayed: false };
  }
}
