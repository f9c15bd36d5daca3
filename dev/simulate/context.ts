import { UsageError } from '../cli/args';
import { Printer, type Io } from '../cli/output';
import { resolveTwilioTarget, type TwilioTarget } from '../cli/settings';
import type { CallFlowResult, TranscriptLine } from '../emulator/index';

export const DEFAULT_APP_URL = 'http://localhost:7071';

/** What every simulate command works with: the app's origin, the account that signs, and the output. */
export interface SimulateContext {
  io: Io;
  print: Printer;
  appUrl: string;
  target: TwilioTarget;
  /** Without --url, when the target is the local emulator: it rings or texts the number, whose configuration decides where the webhooks go. */
  emulatorUrl?: string;
}

export function simulateContext(io: Io, values: { url?: string; json?: boolean }): SimulateContext {
  const print = new Printer(io, Boolean(values.json));
  const target = resolveTwilioTarget(io.root, io.env);
  const emulatorUrl = values.url === undefined ? target.apiBaseUrl : undefined;
  return {
    io,
    print,
    target,
    appUrl: appOrigin(values.url ?? target.appUrl ?? DEFAULT_APP_URL),
    ...(emulatorUrl ? { emulatorUrl } : {}),
  };
}

function appOrigin(value: string): string {
  if (!URL.canParse(value)) throw new UsageError(`--url must be a URL such as ${DEFAULT_APP_URL}, not "${value}"`);
  const url = new URL(value);
  if (!/^https?:$/.test(url.protocol)) throw new UsageError(`--url must be http or https, not ${url.protocol}`);
  if (url.pathname !== '/' || url.search || url.hash)
    throw new UsageError(`--url must be the app's origin only, such as ${url.origin}`);
  return url.origin;
}

/** The phone number the simulated caller or sender reaches: --to, else the app's TWILIO_PHONE_NUMBER. */
export function ourNumber(to: string | undefined, target: TwilioTarget): string {
  const number = to?.trim() || target.phoneNumber;
  if (!number)
    throw new UsageError(
      '--to is required: TWILIO_PHONE_NUMBER is not set in the environment, local.settings.json or the npm start session',
    );
  return number;
}

/** Fictional numbers (555-01xx is reserved for fiction) for a caller or sender not given with --from. */
export const DEFAULT_CALLER = '+15550100199';
const OTHER_DEFAULT_CALLER = '+15550100198';

/** The simulated caller or sender: --from, else a fictional number that is not the one called. */
export function callerNumber(from: string | undefined, to: string): string {
  const given = from?.trim();
  if (given) return given;
  return to === DEFAULT_CALLER ? OTHER_DEFAULT_CALLER : DEFAULT_CALLER;
}

/** A transcript line for people: the verb in a column, what was heard, and where it led. */
export function transcriptRow(line: TranscriptLine, print: Printer): string {
  const { paint } = print;
  const indent = '  '.repeat(1 + (line.depth ?? 0));
  const verb = line.verb === 'Error' ? paint.red(line.verb.padEnd(8)) : paint.cyan(line.verb.padEnd(8));
  return `${indent}${verb} ${line.text}${line.next ? paint.dim(`  → ${line.next}`) : ''}`.trimEnd();
}

/** Why the app may have refused a signed webhook, for a 403. */
export function signatureHint(status: number | undefined, target: TwilioTarget): string {
  if (status !== 403) return '';
  const from = target.source === 'dev session' ? 'the npm start session' : 'TWILIO_AUTH_TOKEN';
  return ` The app rejected the signature: it must use the same auth token as ${from}, and its PUBLIC_BASE_URL (if set) must be the URL given with --url.`;
}

/** Says which scripted input the TwiML never asked for, so a flow that skipped its <Gather> is not mistaken for one that used it. */
export function warnUnused(
  print: Printer,
  unused: CallFlowResult['unused'],
  given: { digits?: string[]; speech?: string[]; dialOutcome?: string },
) {
  if (unused.digits.length)
    print.warn(
      `--digits ${unused.digits.join(', ')} not used: the TwiML asked for no more keys (no <Gather> or <Record> took them)`,
    );
  if (unused.speech.length)
    print.warn(
      `--speech ${unused.speech.map((words) => `"${words}"`).join(', ')} not used: no <Gather input="speech"> asked for it`,
    );
  if (unused.inputs?.length)
    print.warn(
      `--input ${unused.inputs.join(', ')} not used: the TwiML asked for no more input (no <Gather> or <Record> took them)`,
    );
  if (given.dialOutcome && !unused.dialed)
    print.warn(`--dial-outcome ${given.dialOutcome} not used: the call had no <Dial>`);
}

/**
 * What the app itself recorded, as one line: a call's path through the flow (`Path`, from
 * GET /api/calls/{sid}/transcript) or the messaging rule that answered a text (`Rule`, from
 * GET /api/messages/{sid}). A deployed app needs its function key for them (--key).
 */
export async function printRecorded(
  context: SimulateContext,
  what: { kind: 'call' | 'message'; sid: string },
  key: string | undefined,
): Promise<void> {
  const { print } = context;
  const [label, url] =
    what.kind === 'call'
      ? ['Path', `${context.appUrl}/api/calls/${what.sid}/transcript`]
      : ['Rule', `${context.appUrl}/api/messages/${what.sid}`];
  let problem: string;
  try {
    const response = await fetch(url, {
      headers: key ? { 'x-functions-key': key } : {},
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    if (response.ok) {
      const answered =
        what.kind === 'message'
          ? (JSON.parse(text) as { events: Array<{ rule?: string; effects?: string[] }> }).events.find((e) => e.rule)
          : undefined;
      print.line(
        `${print.paint.bold(label)}     ${(what.kind === 'call' ? text.split('\n')[1] : answered?.rule) ?? ''}`,
      );
      // A rule's logic actions (http, code, switch), one line as a call's path shows them.
      if (answered?.effects?.length) print.line(`${print.paint.bold('Actions')}  ${answered.effects.join(' · ')}`);
      return;
    }
    problem = `${response.status}${response.status === 401 || response.status === 403 ? ': a deployed app needs its function key, --key' : ''}`;
  } catch (error) {
    problem = error instanceof Error ? error.message : String(error);
  }
  print.line(print.paint.dim(`${label}     not available (GET ${url}: ${problem})`));
}
