/**
 * Answering machine detection (AMD) as Twilio documents it for `POST Calls.json`
 * (twilio.com/docs/voice/answering-machine-detection and twilio_api_v2010.json):
 *
 * - `MachineDetection=Enable`: the answer request carries `AnsweredBy` as soon as the called
 *   party is identified: `human`, `machine_start`, `fax` or `unknown`.
 * - `MachineDetection=DetectMessageEnd`: `human`, `fax` and `unknown` as soon as known; for a
 *   machine, the answer request waits until its greeting ends: `machine_end_beep`,
 *   `machine_end_silence` or `machine_end_other`.
 * - `AsyncAmd=true`: the call's Url is requested at once, without `AnsweredBy`, and the result
 *   goes to `AsyncAmdStatusCallback` (CallSid, AccountSid, AnsweredBy, MachineDetectionDuration)
 *   while the call runs; with no such URL, warning 21262 and the result only on the Call.
 * - The tuning parameters in Twilio's ranges, else error 21234; `unknown` when detection takes
 *   longer than `MachineDetectionTimeout`; with `SendDigits`, MachineDetection is ignored.
 *
 * Who answers is the callee's script (`answeredBy`, per number or emulator-wide); how long
 * detection takes is the emulator's choice (DETECTION_MS), since Twilio's depends on the audio.
 */
import { boolean, first, method, url, type Form } from './params';
import { TwilioApiError, type AnsweredBy, type DetectionMode, type MachineDetection } from './resources';

export type { DetectionMode, MachineDetection };

/** The error Twilio documents for an AMD parameter it does not allow. */
export const INVALID_DETECTION = 21234;

/** Each tuning parameter: its range and default, as Twilio's AMD documentation gives them. */
const TUNING = {
  MachineDetectionTimeout: { key: 'timeoutSeconds', min: 3, max: 59, default: 30 },
  MachineDetectionSpeechThreshold: { key: 'speechThresholdMs', min: 1000, max: 6000, default: 2400 },
  MachineDetectionSpeechEndThreshold: { key: 'speechEndThresholdMs', min: 500, max: 5000, default: 1200 },
  MachineDetectionSilenceTimeout: { key: 'silenceTimeoutMs', min: 2000, max: 10000, default: 5000 },
} as const;

const invalid = (name: string, value: string, expected: string) =>
  new TwilioApiError(
    400,
    INVALID_DETECTION,
    `Invalid Machine Detection configuration value: ${name}=${value} (${expected})`,
  );

function tuned(form: Form, name: keyof typeof TUNING): number {
  const { min, max } = TUNING[name];
  const value = first(form, name);
  if (value === undefined) return TUNING[name].default;
  // The type was checked already (TYPED_PARAMETERS): a whole number, here out of range.
  const number = Number(value);
  if (number < min || number > max) throw invalid(name, value, `must be ${min} to ${max}`);
  return number;
}

/** The call's AMD settings from its create request, or undefined when it asked for none (or gave SendDigits). */
export function machineDetectionOf(form: Form, answerUrl: string | undefined): MachineDetection | undefined {
  const mode = first(form, 'MachineDetection');
  if (mode === undefined || mode === '') return undefined;
  if (mode !== 'Enable' && mode !== 'DetectMessageEnd')
    throw invalid('MachineDetection', mode, 'must be Enable or DetectMessageEnd');
  const asyncAmd = first(form, 'AsyncAmd');
  if (asyncAmd !== undefined && !/^(true|false)$/i.test(asyncAmd))
    throw invalid('AsyncAmd', asyncAmd, 'must be true or false');
  const detection: MachineDetection = {
    mode,
    timeoutSeconds: tuned(form, 'MachineDetectionTimeout'),
    speechThresholdMs: tuned(form, 'MachineDetectionSpeechThreshold'),
    speechEndThresholdMs: tuned(form, 'MachineDetectionSpeechEndThreshold'),
    silenceTimeoutMs: tuned(form, 'MachineDetectionSilenceTimeout'),
  };
  const callback = asyncCallback(form, answerUrl);
  if (boolean(form, 'AsyncAmd'))
    detection.async = { ...callback, method: method(form, 'AsyncAmdStatusCallbackMethod') ?? 'POST' };
  // SendDigits is for reaching an extension, not a person: Twilio ignores MachineDetection with it.
  return first(form, 'SendDigits') ? undefined : detection;
}

/** AsyncAmdStatusCallback: an absolute URL, or one relative to the call's Url. */
function asyncCallback(form: Form, answerUrl: string | undefined): { statusCallback?: string } {
  const given = first(form, 'AsyncAmdStatusCallback');
  if (!given) return {};
  if (URL.canParse(given)) return { statusCallback: url(form, 'AsyncAmdStatusCallback') };
  if (!answerUrl || !URL.canParse(given, answerUrl))
    throw new TwilioApiError(400, 21205, `AsyncAmdStatusCallback is not a valid URL: ${given}`);
  return { statusCallback: new URL(given, answerUrl).toString() };
}

/** A machine's greeting, from pick-up to its end, as the emulator plays one. */
const GREETING_MS = 10_000;

/** How long detection takes for each answer (the emulator's choice; Twilio's depends on the audio). */
const DETECTION_MS: Record<AnsweredBy, (detection: MachineDetection) => number> = {
  // "Hello?" (1 s), then silence until SpeechEndThreshold says the speech has ended.
  human: (d) => 1000 + d.speechEndThresholdMs,
  // Speech longer than SpeechThreshold is a machine.
  machine_start: (d) => d.speechThresholdMs,
  machine_end_beep: () => GREETING_MS + 500,
  machine_end_silence: (d) => GREETING_MS + d.speechEndThresholdMs,
  machine_end_other: (d) => GREETING_MS + d.speechEndThresholdMs,
  // A fax's calling tone: half a second every three.
  fax: () => 3000,
  // Nothing heard: SilenceTimeout ends detection.
  unknown: (d) => d.silenceTimeoutMs,
};

const WHY: Record<AnsweredBy, string> = {
  human: 'a short greeting, then silence',
  machine_start: 'a greeting longer than the speech threshold',
  machine_end_beep: 'the greeting ended with a beep',
  machine_end_silence: 'the greeting ended in silence',
  machine_end_other: 'the greeting ended, no beep',
  fax: 'a fax tone',
  unknown: 'nothing recognized',
};

export interface Detected {
  answeredBy: AnsweredBy;
  /** MachineDetectionDuration: milliseconds from pick-up to the result. */
  ms: number;
  /** The transcript line: what was detected, how, and how long it took. */
  line: string;
}

/**
 * What detection reports for a callee scripted as `who`: each mode reports only its own
 * values (a machine is `machine_start` under Enable; under DetectMessageEnd a machine's greeting
 * ends, with a beep unless the script says otherwise), and `unknown` after the timeout.
 */
export function detect(detection: MachineDetection, who: AnsweredBy): Detected {
  const machine = who.startsWith('machine_');
  const answeredBy: AnsweredBy =
    machine && detection.mode === 'Enable'
      ? 'machine_start'
      : who === 'machine_start' && detection.mode === 'DetectMessageEnd'
        ? 'machine_end_beep'
        : who;
  const ms = DETECTION_MS[answeredBy](detection);
  const timeoutMs = detection.timeoutSeconds * 1000;
  const mode = `${detection.mode}${detection.async ? ', AsyncAmd' : ''}`;
  if (ms > timeoutMs)
    return {
      answeredBy: 'unknown',
      ms: timeoutMs,
      line: `unknown after ${timeoutMs / 1000} s (${mode}: MachineDetectionTimeout reached)`,
    };
  return { answeredBy, ms, line: `${answeredBy} after ${ms / 1000} s (${mode}: ${WHY[answeredBy]})` };
}
