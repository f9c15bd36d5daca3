/** `simulate sms` and `simulate call`: the simulator plays Twilio and sends the app signed inbound webhooks. */
import { routeUrl } from '../../lib/config/routes';
import { requireOption, UsageError } from '../cli/args';
import { EXIT } from '../cli/command';
import { alignRows } from '../cli/output';
import { shortSid } from '../cli/twilio';
import {
  API_VERSION,
  callParams,
  DIAL_OUTCOMES,
  newSid,
  rfc2822,
  runCallFlow,
  runMessagingFlow,
  sendWebhook,
  type DialOutcome,
  type WebhookResult,
} from '../emulator/index';
import {
  callerNumber,
  ourNumber,
  printRecorded,
  signatureHint,
  transcriptRow,
  warnUnused,
  type SimulateContext,
} from './context';
import { printSentTexts } from './sentTexts';
import { callThroughEmulator, textThroughEmulator } from './viaEmulator';

export async function simulateSms(
  context: SimulateContext,
  values: { from?: string; to?: string; body?: string; key?: string; at?: string | undefined },
): Promise<number> {
  const { print, target, appUrl } = context;
  const body = requireOption(values.body, 'body');
  const to = ourNumber(values.to, target);
  const from = callerNumber(values.from, to);
  if (context.emulatorUrl)
    return textThroughEmulator(context, context.emulatorUrl, { from, to, body, key: values.key, at: values.at });
  const sid = newSid('SM');
  const url = routeUrl(appUrl, 'smsWebhook');
  const requests: WebhookResult[] = [];
  const result = await runMessagingFlow({
    authToken: target.authToken,
    url,
    message: {
      AccountSid: target.accountSid,
      ApiVersion: API_VERSION,
      MessageSid: sid,
      SmsSid: sid,
      SmsMessageSid: sid,
      From: from,
      To: to,
      Body: body,
      NumMedia: '0',
      NumSegments: '1',
      SmsStatus: 'received',
    },
    ...(values.at ? { at: values.at } : {}),
    onRequest: (request) => requests.push(request),
  });

  print.document({
    sid,
    from,
    to,
    body,
    url,
    requests: requests.map(requestSummary),
    replies: result.replies,
    error: result.error,
  });
  const { paint } = print;
  print.lines(
    alignRows([
      [paint.dim('SMS'), `${from} → ${to}`, body],
      ...requests.map((request) => [paint.dim(request.method), request.url, statusText(request, print)]),
      ...result.replies.map((reply) => [
        paint.bold(reply.to === from ? 'Reply' : 'Forward'),
        `${reply.from} → ${reply.to}`,
        paint.green(reply.body) + (reply.media.length ? paint.dim(` + ${reply.media.join(', ')}`) : ''),
      ]),
    ]),
  );
  if (result.error) {
    print.error(`${result.error.code} ${result.error.message}${signatureHint(requests.at(-1)?.status, target)}`);
    return EXIT.failed;
  }
  if (result.replies.length === 0) print.line(paint.dim('(no reply)'));
  await printRecorded(context, { kind: 'message', sid }, values.key);
  await printSentTexts(context, { kind: 'message', sid }, to, values.key);
  return EXIT.ok;
}

function parseDialOutcome(value: string | undefined): DialOutcome | undefined {
  if (value === undefined) return undefined;
  if (!DIAL_OUTCOMES.includes(value as DialOutcome))
    throw new UsageError(`--dial-outcome must be one of ${DIAL_OUTCOMES.join(', ')}`);
  return value as DialOutcome;
}

export async function simulateCall(
  context: SimulateContext,
  values: {
    from?: string;
    to?: string;
    digits?: string[];
    speech?: string[];
    input?: string[] | undefined;
    'dial-outcome'?: string;
    key?: string;
    at?: string | undefined;
  },
): Promise<number> {
  const { print, target, appUrl } = context;
  const to = ourNumber(values.to, target);
  const from = callerNumber(values.from, to);
  const dialOutcome = parseDialOutcome(values['dial-outcome']);
  if (context.emulatorUrl)
    return callThroughEmulator(context, context.emulatorUrl, {
      from,
      to,
      digits: values.digits,
      speech: values.speech,
      inputs: values.input,
      dialOutcome,
      key: values.key,
      at: values.at,
    });
  const callSid = newSid('CA');
  const call = callParams({ accountSid: target.accountSid, sid: callSid, direction: 'inbound', from, to });
  const url = routeUrl(appUrl, 'voiceWebhook');
  const { paint } = print;
  print.line(`${paint.bold('Call')}     ${shortSid(callSid)} ${from} → ${to} ${paint.dim(`(inbound, POST ${url})`)}`);
  const sms: Array<{ to: string; from: string; body: string }> = [];
  const requests: WebhookResult[] = [];
  const result = await runCallFlow({
    authToken: target.authToken,
    call,
    start: { url, method: 'POST' },
    script: {
      digits: values.digits,
      speech: values.speech,
      dialOutcome,
      ...(values.input ? { inputs: values.input } : {}),
      ...(values.at ? { at: values.at } : {}),
    },
    answered: false,
    apiBaseUrl: target.apiBaseUrl,
    onLine: (line) => print.line(transcriptRow(line, print)),
    onRequest: (request) => requests.push(request),
    sendSms: (message) => {
      sms.push(message);
      return newSid('SM');
    },
  });

  const statusCallback = await sendCallStatus(context, call, result);
  return printCallEnd(context, values, { callSid, from, to, result, sms, requests, statusCallback });
}

/** A number configured by `npm run webhooks` has its StatusCallback at the app; Twilio reports the end of the call there. */
function sendCallStatus(
  { target, appUrl }: SimulateContext,
  call: Record<string, string>,
  result: { status: string; seconds: number },
): Promise<WebhookResult> {
  return sendWebhook(target.authToken, {
    url: routeUrl(appUrl, 'statusCallback'),
    params: {
      ...call,
      CallStatus: result.status,
      CallDuration: String(result.seconds),
      CallbackSource: 'call-progress-events',
      SequenceNumber: '0',
      Timestamp: rfc2822(new Date()),
    },
  });
}

/** How the call ended, what the app recorded, and the exit code. */
async function printCallEnd(
  context: SimulateContext,
  values: { digits?: string[]; speech?: string[]; 'dial-outcome'?: string; key?: string },
  ended: {
    callSid: string;
    from: string;
    to: string;
    result: Awaited<ReturnType<typeof runCallFlow>>;
    sms: Array<{ to: string; from: string; body: string }>;
    requests: WebhookResult[];
    statusCallback: WebhookResult;
  },
): Promise<number> {
  const { print, target } = context;
  const { paint } = print;
  const { callSid, from, to, result, sms, requests, statusCallback } = ended;
  const dialOutcome = parseDialOutcome(values['dial-outcome']);
  print.document({
    callSid,
    from,
    to,
    status: result.status,
    seconds: result.seconds,
    endedBy: result.endedBy,
    transcript: result.transcript,
    sms,
    requests: requests.map(requestSummary),
    statusCallback: requestSummary(statusCallback),
    error: result.error,
  });
  warnUnused(print, result.unused, { digits: values.digits, speech: values.speech, dialOutcome });
  print.line(
    `${paint.bold('Ended')}    ${result.status === 'completed' ? paint.green(result.status) : paint.yellow(result.status)}, ${result.seconds} s ${paint.dim(`(${result.endedBy})`)}`,
  );
  print.line(
    `${paint.bold('Status')}   ${paint.dim(`POST ${statusCallback.url}`)} ${statusText(statusCallback, print)}`,
  );
  if (statusCallback.error)
    print.warn(
      `the status callback was not accepted (${statusCallback.error})${signatureHint(statusCallback.status, target)}`,
    );
  await printRecorded(context, { kind: 'call', sid: callSid }, values.key);
  await printSentTexts(context, { kind: 'call', sid: callSid }, to, values.key);
  if (result.error) {
    print.error(`${result.error.code} ${result.error.message}${signatureHint(requests.at(-1)?.status, target)}`);
    return EXIT.failed;
  }
  return EXIT.ok;
}

export function statusText(request: WebhookResult, print: SimulateContext['print']): string {
  if (request.status === undefined) return print.paint.red(request.error ?? 'no answer');
  return request.error ? print.paint.red(String(request.status)) : print.paint.green(String(request.status));
}

const requestSummary = (request: WebhookResult) => ({
  method: request.method,
  url: request.url,
  status: request.status,
  error: request.error,
});
