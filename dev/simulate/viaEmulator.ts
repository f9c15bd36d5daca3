/**
 * `simulate sms` and `simulate call` against the local emulator: it texts or rings the number
 * as a phone would, so the number's configured URLs (set by npm start or `npm run webhooks`)
 * decide where the webhooks go, as on Twilio.
 */
import { CommandError } from '../cli/args';
import { EXIT } from '../cli/command';
import { alignRows } from '../cli/output';
import { shortSid } from '../cli/twilio';
import type { CallReport } from '../emulator/index';
import { printRecorded, transcriptRow, warnUnused, type SimulateContext } from './context';
import { printSentTexts } from './sentTexts';

const CALL_WAIT_SECONDS = 60;

interface MessageJson {
  sid: string;
  from: string;
  to: string;
  body: string;
}

/** A request to the emulator's own endpoints (/_emulator/…) with the account's credentials; a refusal as a CommandError. */
export async function emulatorRequest<T>(
  context: SimulateContext,
  emulatorUrl: string,
  path: string,
  form?: URLSearchParams,
): Promise<T> {
  const { accountSid, authToken } = context.target;
  const url = `${new URL(emulatorUrl).origin}${path}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: form ? 'POST' : 'GET',
      headers: {
        authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`,
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { body: form } : {}),
    });
  } catch (error) {
    throw new CommandError(
      `could not reach the emulator at ${emulatorUrl} (${error instanceof Error ? error.message : String(error)}): is npm start running? Or give the app with --url`,
    );
  }
  const body = (await response.json().catch(() => ({}))) as T & { code?: number; message?: string };
  if (!response.ok)
    throw new CommandError(
      `the emulator answered ${response.status}${body.code ? ` (${body.code})` : ''}: ${body.message ?? 'no message'}`,
    );
  return body;
}

export async function textThroughEmulator(
  context: SimulateContext,
  emulatorUrl: string,
  sms: { from: string; to: string; body: string; key?: string | undefined; at?: string | undefined },
): Promise<number> {
  const { print } = context;
  const { paint } = print;
  const result = await emulatorRequest<{
    message: MessageJson;
    replies: MessageJson[];
    error?: { code: number; message: string };
  }>(
    context,
    emulatorUrl,
    '/_emulator/messages',
    new URLSearchParams({ From: sms.from, To: sms.to, Body: sms.body, ...(sms.at ? { At: sms.at } : {}) }),
  );
  print.document(result);
  print.lines(
    alignRows([
      [
        paint.dim('SMS'),
        `${sms.from} → ${sms.to}`,
        `${sms.body} ${paint.dim(`(${shortSid(result.message.sid)}, to the number's SMS URL on the emulator)`)}`,
      ],
      ...result.replies.map((reply) => [
        paint.bold(reply.to === sms.from ? 'Reply' : 'Forward'),
        `${reply.from} → ${reply.to}`,
        paint.green(reply.body),
      ]),
    ]),
  );
  if (result.error) {
    print.error(`${result.error.code} ${result.error.message}`);
    return EXIT.failed;
  }
  if (result.replies.length === 0) print.line(paint.dim('(no reply)'));
  await printRecorded(context, { kind: 'message', sid: result.message.sid }, sms.key);
  await printSentTexts(context, { kind: 'message', sid: result.message.sid }, sms.to, sms.key);
  return EXIT.ok;
}

export async function callThroughEmulator(
  context: SimulateContext,
  emulatorUrl: string,
  call: {
    from: string;
    to: string;
    digits?: string[];
    speech?: string[];
    inputs?: string[] | undefined;
    dialOutcome?: string;
    key?: string | undefined;
    at?: string | undefined;
  },
): Promise<number> {
  const { print } = context;
  const { paint } = print;
  const form = new URLSearchParams({ From: call.from, To: call.to });
  for (const digits of call.digits ?? []) form.append('Digits', digits);
  for (const speech of call.speech ?? []) form.append('Speech', speech);
  for (const input of call.inputs ?? []) form.append('Input', input);
  if (call.dialOutcome) form.set('DialOutcome', call.dialOutcome);
  if (call.at) form.set('At', call.at);
  const rung = await emulatorRequest<CallReport>(context, emulatorUrl, '/_emulator/calls', form);
  print.line(
    `${paint.bold('Call')}     ${shortSid(rung.call.sid)} ${call.from} → ${call.to} ${paint.dim("(inbound, the number's voice URL on the emulator)")}`,
  );
  const report = await emulatorRequest<CallReport>(
    context,
    emulatorUrl,
    `/_emulator/calls/${rung.call.sid}?wait=${CALL_WAIT_SECONDS}`,
  );
  for (const line of report.transcript) print.line(transcriptRow(line, print));
  print.document(report);
  if (report.unused) warnUnused(print, report.unused, call);
  const status = report.call.status;
  print.line(
    `${paint.bold('Ended')}    ${status === 'completed' ? paint.green(status) : paint.yellow(status)}, ${report.call.duration ?? '?'} s`,
  );
  for (const callback of report.callbacks)
    print.line(
      `${paint.bold('Status')}   ${paint.dim(`POST ${callback.url}`)} ${callback.status ?? callback.error ?? ''}`,
    );
  if (!report.done) print.warn(`the call had not ended after ${CALL_WAIT_SECONDS} s`);
  await printRecorded(context, { kind: 'call', sid: rung.call.sid }, call.key);
  await printSentTexts(context, { kind: 'call', sid: rung.call.sid }, call.to, call.key);
  if (report.error) {
    print.error(`${report.error.code} ${report.error.message}`);
    return EXIT.failed;
  }
  return EXIT.ok;
}
