/**
 * `simulate place-call`: asks the app to place a call (POST /api/calls), follows the call on
 * the local emulator to print what the callee hears and the path the flow took, then reads the
 * app's own record of it. On the emulator, the person called does what the options say
 * (placeOptions.ts): who answers, for machine detection, and which keys they press.
 */
import { CommandError, requireOption, UsageError } from '../cli/args';
import { EXIT } from '../cli/command';
import { shortSid } from '../cli/twilio';
import type { CallReport } from '../emulator/index';
import { printRecorded, transcriptRow, type SimulateContext } from './context';
import { placeOptions, type PlaceOptions } from './placeOptions';
import { emulatorRequest } from './viaEmulator';

const TERMINAL = new Set(['completed', 'busy', 'no-answer', 'failed', 'canceled']);
const RECORD_WAIT_MS = 5_000;

interface PlacedCall {
  sid: string;
  status: string;
  to: string;
  from: string;
}

type Lookup<T> = { ok: true; value: T } | { ok: false; problem: string };

const reason = (error: unknown) => {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ?? (error instanceof Error ? error.message : String(error));
};

export async function responseJson(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The app's error body (`{ error, problems, twilio }`) as one line. */
export function describeAppError(body: unknown): string {
  if (typeof body === 'string') return body.trim().slice(0, 300) || 'no body';
  const { error, problems, twilio } = (body ?? {}) as {
    error?: string;
    problems?: Array<{ field: string; message: string }>;
    twilio?: { code?: number; message?: string };
  };
  const parts = [error ?? 'no error message'];
  if (problems?.length) parts.push(problems.map((p) => `${p.field} ${p.message}`).join('; '));
  if (twilio) parts.push(`Twilio error ${twilio.code ?? '-'}: ${twilio.message ?? ''}`.trim());
  return parts.join(': ');
}

/** POST /api/calls on the app; its refusal, or no answer, as a CommandError that says what to check. */
async function placeThroughApp(
  placeUrl: string,
  appUrl: string,
  appHeaders: Record<string, string>,
  body: Record<string, unknown>,
): Promise<{ response: Response; placed: PlacedCall }> {
  let response: Response;
  try {
    response = await fetch(placeUrl, {
      method: 'POST',
      headers: { ...appHeaders, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
  } catch (error) {
    throw new CommandError(
      `could not reach the app at ${appUrl} (${reason(error)}): is npm start running, or is --url right?`,
    );
  }
  const placedBody = await responseJson(response);
  if (!response.ok) {
    const hint =
      response.status === 401 || response.status === 403 ? ' (a deployed app needs its function key: --key)' : '';
    throw new CommandError(`POST ${placeUrl} answered ${response.status}: ${describeAppError(placedBody)}${hint}`);
  }
  return { response, placed: placedBody as PlacedCall };
}

/**
 * What the person at `to` does on the emulator for this call (who answers, their keys), when
 * the options say: set before the call is placed, forgotten after it.
 */
async function withCallee<T>(context: SimulateContext, to: string, callee: URLSearchParams, run: () => Promise<T>) {
  const emulator = context.target.apiBaseUrl;
  if (![...callee.keys()].length) return run();
  if (!emulator)
    throw new UsageError(
      '--answered-by, --digits, --speech and --input need the local emulator (npm start without Twilio credentials)',
    );
  const set = (form: URLSearchParams) =>
    emulatorRequest(context, emulator, '/_emulator/callees', new URLSearchParams([['Number', to], ...form]));
  await set(callee);
  try {
    return await run();
  } finally {
    await set(new URLSearchParams()).catch(() => undefined);
  }
}

export async function simulatePlaceCall(
  context: SimulateContext,
  values: PlaceOptions & { to?: string; key?: string; timeout?: number },
): Promise<number> {
  const to = requireOption(values.to, 'to');
  const { body, callee } = placeOptions(values);
  return withCallee(context, to, callee, () => placeAndFollow(context, { ...values, to }, body));
}

async function placeAndFollow(
  context: SimulateContext,
  values: { to: string; key?: string | undefined; timeout?: number | undefined },
  body: Record<string, unknown>,
): Promise<number> {
  const { print, target, appUrl } = context;
  const { paint } = print;
  const timeoutMs = (values.timeout ?? 30) * 1000;
  const appHeaders: Record<string, string> = values.key ? { 'x-functions-key': values.key } : {};

  const placeUrl = `${appUrl}/api/calls`;
  const { response, placed } = await placeThroughApp(placeUrl, appUrl, appHeaders, { to: values.to, ...body });
  print.line(
    `${paint.bold('Placed')}   ${shortSid(placed.sid)} ${placed.from} → ${placed.to} ${paint.dim(`(POST ${placeUrl} ${response.status})`)}`,
  );

  const problems: string[] = [];
  let report: CallReport | undefined;
  if (target.apiBaseUrl) {
    const followed = await followOnEmulator(context, placed.sid, timeoutMs);
    if (followed.ok) report = followed.value;
    else problems.push(followed.problem);
  } else {
    print.line(paint.dim('The app uses Twilio itself: transcripts come only from the local emulator.'));
  }
  if (report) {
    for (const line of report.transcript) print.line(transcriptRow(line, print));
    const status = report.call.status;
    const paintStatus = status === 'completed' ? paint.green : paint.yellow;
    print.line(
      `${paint.bold('Twilio')}   ${paintStatus(status)}${report.call.duration ? `, ${report.call.duration} s` : ''}`,
    );
    if (report.error) problems.push(`the call hit Twilio error ${report.error.code}: ${report.error.message}`);
    if (!report.done) problems.push(`the call did not finish within ${timeoutMs / 1000} s (still ${status})`);
    await printRecorded(context, { kind: 'call', sid: placed.sid }, values.key);
  }

  const expected = report?.done ? report.call.status : undefined;
  const record = await readRecord(context, placed.sid, appHeaders, expected);
  const recordUrl = `${appUrl}/api/calls/${placed.sid}`;
  if (record.ok) {
    const status = String(record.value.status ?? '(none)');
    print.line(
      `${paint.bold('Records')}  ${status === 'completed' ? paint.green(status) : paint.yellow(status)} ${paint.dim(`(GET ${recordUrl})`)}`,
    );
    if (expected && status !== expected)
      problems.push(
        `the app's record says ${status} but the call ended ${expected}: a status callback was lost or rejected`,
      );
  } else {
    print.line(`${paint.bold('Records')}  ${paint.red('unavailable')} ${paint.dim(`(GET ${recordUrl})`)}`);
    problems.push(record.problem);
  }

  print.document({
    call: placed,
    transcript: report?.transcript ?? null,
    twilio: report
      ? {
          status: report.call.status,
          duration: report.call.duration,
          done: report.done,
          error: report.error,
          callbacks: report.callbacks,
        }
      : null,
    record: record.ok ? record.value : null,
    problems,
  });
  for (const problem of problems) print.error(problem);
  return problems.length ? EXIT.failed : EXIT.ok;
}

async function followOnEmulator(context: SimulateContext, sid: string, timeoutMs: number): Promise<Lookup<CallReport>> {
  const { target } = context;
  const emulator = new URL(target.apiBaseUrl ?? '').origin;
  const authorization = `Basic ${Buffer.from(`${target.accountSid}:${target.authToken}`).toString('base64')}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const waitSeconds = Math.max(1, Math.min(10, Math.ceil((deadline - Date.now()) / 1000)));
    let response: Response;
    try {
      response = await fetch(`${emulator}/_emulator/calls/${sid}?wait=${waitSeconds}`, {
        headers: { Authorization: authorization },
        signal: AbortSignal.timeout((waitSeconds + 5) * 1000),
      });
    } catch (error) {
      return { ok: false, problem: `could not reach the emulator at ${emulator} (${reason(error)})` };
    }
    if (response.status === 401) {
      return {
        ok: false,
        problem: `the emulator at ${emulator} refused this account's credentials: is the app using another emulator or account?`,
      };
    }
    if (response.status === 404) {
      return {
        ok: false,
        problem: `the emulator at ${emulator} has no call ${sid}: the app sends its REST calls elsewhere (check TWILIO_API_BASE_URL)`,
      };
    }
    if (!response.ok) return { ok: false, problem: `the emulator at ${emulator} answered ${response.status}` };
    const report = (await response.json()) as CallReport;
    if (report.done || Date.now() >= deadline) return { ok: true, value: report };
  }
}

/** The app's record of the call, waiting briefly for it to reach `expected` (callbacks land just before the emulator reports the end). */
async function readRecord(
  context: SimulateContext,
  sid: string,
  headers: Record<string, string>,
  expected: string | undefined,
): Promise<Lookup<Record<string, unknown>>> {
  const url = `${context.appUrl}/api/calls/${sid}`;
  const deadline = Date.now() + RECORD_WAIT_MS;
  for (;;) {
    let response: Response;
    try {
      response = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
    } catch (error) {
      return { ok: false, problem: `could not read the app's record: GET ${url} failed (${reason(error)})` };
    }
    const body = await responseJson(response);
    if (response.status === 404) {
      return {
        ok: false,
        problem: `the app has no record of call ${sid}: GET ${url} answered 404 (${describeAppError(body)})`,
      };
    }
    if (!response.ok)
      return {
        ok: false,
        problem: `could not read the app's record: GET ${url} answered ${response.status} (${describeAppError(body)})`,
      };
    const record = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const status = String(record.status ?? '');
    const settled = expected ? status === expected : TERMINAL.has(status);
    if (settled || Date.now() >= deadline) return { ok: true, value: record };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
