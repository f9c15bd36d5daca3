/**
 * A local Twilio: the part of the REST API the app and the dev commands use (Calls, Messages,
 * IncomingPhoneNumbers), with Basic auth and Twilio-shaped JSON and errors, and calls and
 * messages that then run as Twilio runs them: signed webhooks, TwiML, status callbacks.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import { DEFAULT_MAX_STEPS, runCallFlow, type CallScript, type OutgoingSms, type TranscriptLine } from './callFlow';
import {
  API_VERSION,
  callJson,
  messageJson,
  pageJson,
  phoneNumberJson,
  TwilioApiError,
  type CallPickUp,
  type CallStatus,
  type EmulatedCall,
  type EmulatedMessage,
  type EmulatedPhoneNumber,
  type MessageStatus,
} from './resources';
import { newSid, rfc2822 } from './sids';
import { sendWebhook, type WebhookResult } from './webhook';

export interface EmulatorScript extends CallScript {
  /** How the callee of every API call answers; default completed (picks up). */
  callOutcome?: CallPickUp;
  /** Makes every message fail with this Twilio error code: `undelivered` (after sent) by default, or `failed`. */
  messageFailure?: { errorCode: number; status?: 'undelivered' | 'failed'; message?: string };
}

export interface EmulatorOptions {
  accountSid: string;
  authToken: string;
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The account's numbers (IncomingPhoneNumbers). When given, calls and messages must come from one of them, as on Twilio. */
  phoneNumbers?: string[];
  script?: EmulatorScript;
  /** Verbs a call runs before the emulated callee hangs up; bounds Redirect loops. Default 50. */
  maxSteps?: number;
  /** One line per API request, webhook and status change; never a credential. */
  log?: (line: string) => void;
}

/** What GET /_emulator/calls/{sid} answers: the call as the REST API shows it, plus what the callee heard. */
export interface CallReport {
  call: ReturnType<typeof callJson>;
  transcript: TranscriptLine[];
  done: boolean;
  error?: { code: number; message: string };
  callbacks: Array<{ event: string; url: string; status?: number; error?: string }>;
}

export interface Emulator {
  /** The base URL to give TWILIO_API_BASE_URL, e.g. http://127.0.0.1:53123 */
  url: string;
  accountSid: string;
  calls: ReadonlyMap<string, EmulatedCall>;
  messages: ReadonlyMap<string, EmulatedMessage>;
  phoneNumbers: ReadonlyMap<string, EmulatedPhoneNumber>;
  /** Every webhook and status callback the emulator sent, in order. */
  requests: readonly WebhookResult[];
  transcript(callSid: string): TranscriptLine[];
  /** Resolves when the call has ended and its callbacks have been answered. */
  waitForCall(callSid: string, timeoutMs?: number): Promise<EmulatedCall>;
  waitForMessage(messageSid: string, timeoutMs?: number): Promise<EmulatedMessage>;
  /** Replaces the script for calls and messages created from now on. */
  setScript(script: EmulatorScript): void;
  stop(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024;
const E164 = /^\+[1-9]\d{1,14}$/;
const isCallAddress = (value: string) => E164.test(value) || /^(client|sip):\S+$/.test(value);
const isHttpUrl = (value: string) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol);

type Form = Map<string, string[]>;
const first = (form: Form, name: string) => form.get(name)?.[0];

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const { accountSid, authToken } = options;
  if (!/^AC[0-9a-fA-F]{32}$/.test(accountSid)) throw new Error('accountSid must be "AC" followed by 32 hex characters');
  if (!authToken) throw new Error('authToken must not be empty');
  const log = options.log ?? (() => {});
  const stopping = new AbortController();
  const calls = new Map<string, EmulatedCall>();
  const messages = new Map<string, EmulatedMessage>();
  const numbers = new Map<string, EmulatedPhoneNumber>();
  const finished = new Map<string, Promise<void>>();
  const requests: WebhookResult[] = [];
  let script: EmulatorScript = { ...options.script };
  let url = '';

  for (const phoneNumber of new Set(options.phoneNumbers ?? [])) {
    if (!E164.test(phoneNumber)) throw new Error(`phone number ${phoneNumber} is not E.164`);
    const now = new Date();
    const sid = newSid('PN');
    numbers.set(sid, {
      sid,
      accountSid,
      phoneNumber,
      friendlyName: phoneNumber,
      voiceUrl: '',
      voiceMethod: 'POST',
      voiceFallbackUrl: '',
      voiceFallbackMethod: 'POST',
      smsUrl: '',
      smsMethod: 'POST',
      smsFallbackUrl: '',
      smsFallbackMethod: 'POST',
      statusCallback: '',
      statusCallbackMethod: 'POST',
      dateCreated: now,
      dateUpdated: now,
    });
  }
  const numberSid = (phoneNumber: string) => [...numbers.values()].find((n) => n.phoneNumber === phoneNumber)?.sid;
  const ownsNumber = (phoneNumber: string) => numbers.size === 0 || numberSid(phoneNumber) !== undefined;

  const expectedAuth = Buffer.from(`Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`);
  const authenticated = (req: IncomingMessage) => {
    const given = Buffer.from(req.headers.authorization ?? '');
    return given.length === expectedAuth.length && timingSafeEqual(given, expectedAuth);
  };

  const track = (sid: string, work: Promise<void>) => {
    finished.set(
      sid,
      work.catch((error: unknown) => log(`${sid}: ${error instanceof Error ? error.message : String(error)}`)),
    );
  };

  const webhook = async (request: { url: string; method?: string; params: Record<string, string> }) => {
    const result = await sendWebhook(authToken, request, stopping.signal);
    requests.push(result);
    log(`  → ${result.method} ${result.url} ${result.status ?? result.error}`);
    return result;
  };

  // Calls ---------------------------------------------------------------------------------

  const callParams = (call: EmulatedCall): Record<string, string> => ({
    AccountSid: accountSid,
    ApiVersion: API_VERSION,
    CallSid: call.sid,
    Direction: call.direction,
    From: call.from,
    To: call.to,
    Caller: call.from,
    Called: call.to,
  });

  function createCall(form: Form): EmulatedCall {
    const to = first(form, 'To');
    const from = first(form, 'From');
    const twiml = first(form, 'Twiml');
    const answerUrl = first(form, 'Url');
    if (!to) throw new TwilioApiError(400, 21201, "No 'To' number is specified");
    if (!isCallAddress(to)) throw new TwilioApiError(400, 21211, `Invalid 'To' Phone Number: ${to}`);
    if (!from) throw new TwilioApiError(400, 21213, "No 'From' number is specified");
    if (!isCallAddress(from)) throw new TwilioApiError(400, 21212, `Invalid 'From' Phone Number: ${from}`);
    if (!ownsNumber(from)) {
      throw new TwilioApiError(400, 21210, `The source phone number provided, ${from}, is not yet verified for your account.`);
    }
    if (twiml === undefined && answerUrl === undefined) {
      throw new TwilioApiError(400, 21205, "A 'Url', 'Twiml' or 'ApplicationSid' parameter is required");
    }
    if (twiml === undefined && answerUrl !== undefined && !isHttpUrl(answerUrl)) {
      throw new TwilioApiError(400, 21205, `Url is not a valid URL: ${answerUrl}`);
    }
    const statusCallback = first(form, 'StatusCallback');
    if (statusCallback !== undefined && !isHttpUrl(statusCallback)) {
      throw new TwilioApiError(400, 21205, `StatusCallback is not a valid URL: ${statusCallback}`);
    }
    const events = (form.get('StatusCallbackEvent') ?? []).flatMap((value) => value.split(/[\s,]+/)).filter(Boolean);
    const now = new Date();
    const call: EmulatedCall = {
      sid: newSid('CA'),
      accountSid,
      from,
      to,
      direction: 'outbound-api',
      status: 'queued',
      ...(twiml !== undefined ? { twiml } : { url: answerUrl }),
      method: first(form, 'Method') ?? 'POST',
      statusCallback,
      statusCallbackMethod: first(form, 'StatusCallbackMethod') ?? 'POST',
      statusCallbackEvents: events.length ? events : ['completed'],
      dateCreated: now,
      dateUpdated: now,
      script: { ...script },
      transcript: [],
      callbacks: [],
      done: false,
    };
    calls.set(call.sid, call);
    log(`call ${call.sid} ${from} → ${to} queued`);
    setImmediate(() => track(call.sid, runCall(call)));
    return call;
  }

  async function runCall(call: EmulatedCall) {
    let sequence = 0;
    const event = async (name: string, callStatus: string, extra: Record<string, string> = {}) => {
      if (!call.statusCallback || !call.statusCallbackEvents.includes(name) || stopping.signal.aborted) return;
      const result = await webhook({
        url: call.statusCallback,
        method: call.statusCallbackMethod,
        params: {
          ...callParams(call),
          CallStatus: callStatus,
          CallbackSource: 'call-progress-events',
          SequenceNumber: String(sequence++),
          Timestamp: rfc2822(new Date()),
          ...extra,
        },
      });
      call.callbacks.push(result);
    };
    const setStatus = (status: CallStatus) => {
      call.status = status;
      call.dateUpdated = new Date();
      log(`call ${call.sid} ${status}`);
    };

    await event('initiated', 'initiated');
    setStatus('ringing');
    await event('ringing', 'ringing');
    const pickUp = call.script.callOutcome ?? 'completed';
    if (pickUp !== 'completed') {
      setStatus(pickUp);
      call.duration = 0;
      call.endTime = new Date();
      await event('completed', pickUp, { CallDuration: '0' });
      call.done = true;
      return;
    }
    call.startTime = new Date();
    setStatus('in-progress');
    await event('answered', 'in-progress');
    const result = await runCallFlow({
      authToken,
      call: callParams(call),
      start: call.twiml !== undefined ? { twiml: call.twiml } : { url: call.url ?? '', method: call.method },
      script: call.script,
      answered: true,
      maxSteps: options.maxSteps ?? DEFAULT_MAX_STEPS,
      apiBaseUrl: url,
      signal: stopping.signal,
      onLine: (line) => {
        call.transcript.push(line);
        log(`call ${call.sid} ${line.verb} ${line.text}`);
      },
      onRequest: (request) => {
        requests.push(request);
        log(`  → ${request.method} ${request.url} ${request.status ?? request.error}`);
      },
      sendSms: (sms) => createMessage(sms, 'outbound-reply').sid,
    });
    if (result.error) call.error = result.error;
    call.duration = result.seconds;
    call.endTime = new Date(call.startTime.getTime() + result.seconds * 1000);
    setStatus(result.status);
    await event('completed', result.status, { CallDuration: String(result.seconds) });
    call.done = true;
  }

  // Messages ------------------------------------------------------------------------------

  function createMessageFromForm(form: Form): EmulatedMessage {
    const to = first(form, 'To');
    const service = first(form, 'MessagingServiceSid');
    const from = first(form, 'From') ?? (service ? [...numbers.values()][0]?.phoneNumber : undefined);
    const body = first(form, 'Body') ?? '';
    const mediaUrls = form.get('MediaUrl') ?? [];
    if (!to) throw new TwilioApiError(400, 21604, "A 'To' phone number is required.");
    if (!from) throw new TwilioApiError(400, 21603, "A 'From' phone number is required.");
    if (!body && mediaUrls.length === 0) throw new TwilioApiError(400, 21602, 'Message body is required.');
    if (!E164.test(to)) throw new TwilioApiError(400, 21211, `Invalid 'To' Phone Number: ${to}`);
    if (!ownsNumber(from)) {
      throw new TwilioApiError(400, 21606, `The From phone number ${from} is not a valid, SMS-capable inbound phone number or short code for your account.`);
    }
    if (body.length > 1600) throw new TwilioApiError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
    const statusCallback = first(form, 'StatusCallback');
    if (statusCallback !== undefined && !isHttpUrl(statusCallback)) {
      throw new TwilioApiError(400, 21609, `Invalid StatusCallback URL: ${statusCallback}`);
    }
    return createMessage({ to, from, body, statusCallback }, 'outbound-api', mediaUrls);
  }

  function createMessage(sms: OutgoingSms, direction: EmulatedMessage['direction'], mediaUrls: string[] = []): EmulatedMessage {
    const now = new Date();
    const message: EmulatedMessage = {
      sid: newSid('SM'),
      accountSid,
      from: sms.from,
      to: sms.to,
      body: sms.body,
      mediaUrls,
      direction,
      status: 'queued',
      statusCallback: sms.statusCallback,
      dateCreated: now,
      dateUpdated: now,
      callbacks: [],
      done: false,
    };
    messages.set(message.sid, message);
    log(`message ${message.sid} ${message.from} → ${message.to} queued`);
    const failure = script.messageFailure;
    setImmediate(() => track(message.sid, runMessage(message, failure)));
    return message;
  }

  async function runMessage(message: EmulatedMessage, failure: EmulatorScript['messageFailure']) {
    const steps: MessageStatus[] = !failure
      ? ['queued', 'sent', 'delivered']
      : failure.status === 'failed'
        ? ['queued', 'failed']
        : ['queued', 'sent', 'undelivered'];
    for (const status of steps) {
      if (stopping.signal.aborted) return;
      message.status = status;
      message.dateUpdated = new Date();
      if (status === 'sent') message.dateSent = message.dateUpdated;
      const failed = status === 'failed' || status === 'undelivered';
      if (failed && failure) {
        message.errorCode = failure.errorCode;
        message.errorMessage = failure.message ?? `Message ${status} with error ${failure.errorCode}`;
      }
      log(`message ${message.sid} ${status}`);
      if (!message.statusCallback) continue;
      const result = await webhook({
        url: message.statusCallback,
        method: 'POST',
        params: {
          AccountSid: accountSid,
          ApiVersion: API_VERSION,
          From: message.from,
          To: message.to,
          MessageSid: message.sid,
          SmsSid: message.sid,
          MessageStatus: status,
          SmsStatus: status,
          ...(failed && failure ? { ErrorCode: String(failure.errorCode) } : {}),
        },
      });
      message.callbacks.push(result);
    }
    message.done = true;
  }

  // Numbers -------------------------------------------------------------------------------

  const NUMBER_FIELDS = {
    FriendlyName: 'friendlyName',
    VoiceUrl: 'voiceUrl',
    VoiceMethod: 'voiceMethod',
    VoiceFallbackUrl: 'voiceFallbackUrl',
    VoiceFallbackMethod: 'voiceFallbackMethod',
    SmsUrl: 'smsUrl',
    SmsMethod: 'smsMethod',
    SmsFallbackUrl: 'smsFallbackUrl',
    SmsFallbackMethod: 'smsFallbackMethod',
    StatusCallback: 'statusCallback',
    StatusCallbackMethod: 'statusCallbackMethod',
  } as const;

  function updateNumber(number: EmulatedPhoneNumber, form: Form) {
    for (const [field, key] of Object.entries(NUMBER_FIELDS)) {
      const value = first(form, field);
      if (value === undefined) continue;
      if (key.endsWith('Method') && !['GET', 'POST'].includes(value.toUpperCase())) {
        throw new TwilioApiError(400, 21502, `${field} must be GET or POST, not ${value}`);
      }
      if (key.endsWith('Url') || key === 'statusCallback') {
        const [target = ''] = value.split('#');
        if (value !== '' && !isHttpUrl(target)) throw new TwilioApiError(400, 21502, `${field} is not a valid URL: ${value}`);
      }
      number[key] = key.endsWith('Method') ? value.toUpperCase() : value;
    }
    number.dateUpdated = new Date();
    log(`number ${number.phoneNumber} updated`);
  }

  const phoneNumberMatches = (number: EmulatedPhoneNumber, filter: string | null) => {
    if (!filter) return true;
    // Twilio matches partial numbers, with * standing for any one digit.
    const pattern = new RegExp(filter.replace(/[^\d*]/g, '').replace(/\*/g, '\\d'));
    return pattern.test(number.phoneNumber.replace(/\D/g, ''));
  };

  // HTTP ----------------------------------------------------------------------------------

  const waitFor = async <T extends { done: boolean }>(records: Map<string, T>, sid: string, timeoutMs: number): Promise<T> => {
    const record = records.get(sid);
    if (!record) throw new Error(`no such record ${sid}`);
    if (record.done) return record;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, fail) => {
      timer = setTimeout(() => fail(new Error(`${sid} did not finish within ${timeoutMs} ms`)), timeoutMs);
    });
    // The lifecycle starts on the next tick; its promise is registered by then.
    await new Promise((resolve) => setImmediate(resolve));
    try {
      await Promise.race([finished.get(sid), timeout]);
    } finally {
      clearTimeout(timer);
    }
    return record;
  };

  const callReport = (call: EmulatedCall): CallReport => ({
    call: callJson(call, numberSid(call.from)),
    transcript: call.transcript,
    done: call.done,
    ...(call.error ? { error: call.error } : {}),
    callbacks: call.callbacks.map((callback) => ({
      event: callback.params.CallStatus ?? '',
      url: callback.url,
      status: callback.status,
      ...(callback.error ? { error: callback.error } : {}),
    })),
  });

  async function route(req: IncomingMessage, res: ServerResponse, form: Form, target: URL): Promise<[number, unknown]> {
    const method = req.method ?? 'GET';
    const path = target.pathname;
    const notFound = () => new TwilioApiError(404, 20404, `The requested resource ${path} was not found`);
    if (!authenticated(req)) {
      res.setHeader('WWW-Authenticate', 'Basic realm="Twilio API"');
      throw new TwilioApiError(401, 20003, 'Authenticate');
    }

    const tool = /^\/_emulator\/(calls|messages)\/([A-Za-z0-9]+)$/.exec(path);
    if (path === '/_emulator' && method === 'GET') {
      return [200, { accountSid, phoneNumbers: [...numbers.values()].map((n) => n.phoneNumber), calls: calls.size, messages: messages.size }];
    }
    if (tool && method === 'GET') {
      const waitMs = Math.min(Number(target.searchParams.get('wait')) || 0, 60) * 1000;
      const [, kind, sid = ''] = tool;
      if (kind === 'calls') {
        const call = calls.get(sid);
        if (!call) throw notFound();
        if (waitMs) await waitFor(calls, sid, waitMs).catch(() => undefined);
        return [200, callReport(call)];
      }
      const message = messages.get(sid);
      if (!message) throw notFound();
      if (waitMs) await waitFor(messages, sid, waitMs).catch(() => undefined);
      return [200, { message: messageJson(message), done: message.done }];
    }

    const match = /^\/2010-04-01\/Accounts\/([^/]+)\/(Calls|Messages|IncomingPhoneNumbers)(?:\/([^/]+))?\.json$/.exec(path);
    if (!match || match[1] !== accountSid) throw notFound();
    const [, , resource, sid] = match;
    const allowed = sid ? ['GET', 'POST'] : resource === 'IncomingPhoneNumbers' ? ['GET'] : ['POST'];
    if (!allowed.includes(method)) throw new TwilioApiError(405, 20004, 'Method not allowed');

    if (resource === 'Calls') {
      if (!sid) return [201, callJson(createCall(form), undefined)];
      const call = calls.get(sid);
      if (!call) throw notFound();
      if (method === 'POST') throw new TwilioApiError(405, 20004, 'Updating calls is not emulated');
      return [200, callJson(call, numberSid(call.from))];
    }
    if (resource === 'Messages') {
      if (!sid) return [201, messageJson(createMessageFromForm(form))];
      const message = messages.get(sid);
      if (!message) throw notFound();
      if (method === 'POST') throw new TwilioApiError(405, 20004, 'Updating messages is not emulated');
      return [200, messageJson(message)];
    }
    if (!sid) {
      const filter = target.searchParams.get('PhoneNumber');
      const list = [...numbers.values()].filter((number) => phoneNumberMatches(number, filter)).map(phoneNumberJson);
      return [200, pageJson('incoming_phone_numbers', path, list, target.searchParams)];
    }
    const number = numbers.get(sid);
    if (!number) throw notFound();
    if (method === 'POST') updateNumber(number, form);
    return [200, phoneNumberJson(number)];
  }

  const server = createServer(async (req, res) => {
    const target = new URL(req.url ?? '/', 'http://emulator');
    const send = (status: number, payload: unknown) => {
      if (!res.headersSent) res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(payload));
      log(`${req.method} ${target.pathname} ${status}`);
    };
    try {
      const body = await readBody(req);
      const form: Form = new Map();
      const source = req.method === 'GET' ? target.searchParams : new URLSearchParams(body);
      for (const [key, value] of source) form.set(key, [...(form.get(key) ?? []), value]);
      const [status, payload] = await route(req, res, form, target);
      send(status, payload);
    } catch (error) {
      if (error instanceof TwilioApiError) return send(error.status, error);
      send(500, new TwilioApiError(500, 20500, `Internal emulator error: ${error instanceof Error ? error.message : String(error)}`));
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;

  return {
    url,
    accountSid,
    calls,
    messages,
    phoneNumbers: numbers,
    requests,
    transcript: (callSid) => calls.get(callSid)?.transcript ?? [],
    waitForCall: (callSid, timeoutMs = 10_000) => waitFor(calls, callSid, timeoutMs),
    waitForMessage: (messageSid, timeoutMs = 10_000) => waitFor(messages, messageSid, timeoutMs),
    setScript(next) {
      script = { ...next };
    },
    async stop() {
      stopping.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await Promise.all([closed, ...finished.values()]);
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new TwilioApiError(413, 20001, 'Request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
