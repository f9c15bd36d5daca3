/**
 * `simulate place-call`'s options that go beyond `--to` and `--say`: the flow step and variables
 * of POST /api/calls, its machine detection, and what the person (or machine) called does on the
 * local emulator: who answers (`--answered-by`), their keys and words.
 */
import { UsageError } from '../cli/args';
import { ANSWERED_BY, type AnsweredBy } from '../emulator/index';
import { callerInputs } from './inputs';

const DETECTION_MODES = ['Enable', 'DetectMessageEnd'] as const;

export interface PlaceOptions {
  say?: string | undefined;
  'flow-step'?: string | undefined;
  var?: string[] | undefined;
  'machine-detection'?: string | undefined;
  'answered-by'?: string | undefined;
  digits?: string[] | undefined;
  speech?: string[] | undefined;
  input?: string[] | undefined;
}

/** `--var name=value`, repeatable: a flow's variables, of a call or a conversation (values are text; the app checks the names). */
export function variables(given: string[] | undefined): Record<string, string> | undefined {
  if (!given) return undefined;
  const entries = given.map((pair) => {
    const at = pair.indexOf('=');
    if (at < 1) throw new UsageError(`--var "${pair}" must be name=value, e.g. --var when="Tuesday at 10:30"`);
    return [pair.slice(0, at), pair.slice(at + 1)] as const;
  });
  return Object.fromEntries(entries);
}

function answeredBy(value: string | undefined): AnsweredBy | undefined {
  if (value === undefined) return undefined;
  const known = ANSWERED_BY.find((answer) => answer === value);
  if (!known) throw new UsageError(`--answered-by must be one of ${ANSWERED_BY.join(', ')}, not "${value}"`);
  return known;
}

/**
 * The mode asked for, else (with --answered-by) the one that can report that answer:
 * machine_start only Enable reports; DetectMessageEnd reports every other answer.
 */
function detectionMode(value: string | undefined, answer: AnsweredBy | undefined): string | undefined {
  if (value !== undefined && !DETECTION_MODES.includes(value as (typeof DETECTION_MODES)[number]))
    throw new UsageError(`--machine-detection must be Enable or DetectMessageEnd, not "${value}"`);
  if (value !== undefined || answer === undefined) return value;
  return answer === 'machine_start' ? 'Enable' : 'DetectMessageEnd';
}

/** The body of POST /api/calls (besides `to`), and the callee's script for the emulator (empty: an ordinary person). */
export function placeOptions(values: PlaceOptions): { body: Record<string, unknown>; callee: URLSearchParams } {
  const answer = answeredBy(values['answered-by']);
  const mode = detectionMode(values['machine-detection'], answer);
  const flowVariables = variables(values.var);
  if (values.say && (values['flow-step'] || flowVariables))
    throw new UsageError('give --say, or --flow-step and --var, not both');
  const flow =
    values['flow-step'] || flowVariables
      ? {
          ...(values['flow-step'] ? { step: values['flow-step'] } : {}),
          ...(flowVariables ? { variables: flowVariables } : {}),
        }
      : undefined;
  const callee = new URLSearchParams(answer ? { AnsweredBy: answer } : {});
  const inputs = callerInputs(values);
  for (const input of inputs ?? []) callee.append('Input', input);
  if (!inputs) for (const digits of values.digits ?? []) callee.append('Digits', digits);
  if (!inputs) for (const words of values.speech ?? []) callee.append('Speech', words);
  return {
    body: {
      ...(values.say ? { say: values.say } : {}),
      ...(flow ? { flow } : {}),
      ...(mode ? { machineDetection: mode } : {}),
    },
    callee,
  };
}
