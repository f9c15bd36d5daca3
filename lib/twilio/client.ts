import type { Twilio } from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import type { Settings } from '../config/settings';
import { DEADLINES } from '../config/deadlines';
import { AppError, describeError } from '../errors';

type TwilioModule = typeof import('twilio');

export type TwilioCredentials = Pick<Settings, 'TWILIO_ACCOUNT_SID' | 'TWILIO_AUTH_TOKEN' | 'TWILIO_API_BASE_URL'>;

/**
 * One REST client per process and credentials value, made on first use, not at start:
 * webhooks never need it, and loading the SDK's REST layer costs cold-start time against
 * Twilio's 15-second budget.
 */
const clients = new Map<string, Promise<Twilio>>();

export function getTwilioClient(settings: TwilioCredentials): Promise<Twilio> {
  const key = JSON.stringify([settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_API_BASE_URL]);
  let client = clients.get(key);
  if (!client) {
    client = createTwilioClient(settings);
    clients.set(key, client);
  }
  return client;
}

export async function createTwilioClient(settings: TwilioCredentials): Promise<Twilio> {
  const twilio = (await import('twilio')).default;
  return twilio(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, {
    httpClient: boundedClient(twilio, settings.TWILIO_API_BASE_URL),
  });
}

/**
 * Every REST request waits at most DEADLINES.twilioRequestMs (the SDK's default is 30 s).
 * The SDK has no base-URL option: with `baseUrl` every request goes there instead of *.twilio.com.
 */
function boundedClient(twilio: TwilioModule, baseUrl: string | undefined): RequestClient {
  class BoundedRequestClient extends twilio.RequestClient {
    override request<TData>(opts: RequestClient.RequestOptions<TData>) {
      return super.request({ ...opts, uri: redirected(opts.uri, baseUrl), timeout: DEADLINES.twilioRequestMs });
    }
  }
  return new BoundedRequestClient({ timeout: DEADLINES.twilioRequestMs });
}

const redirected = (uri: string, baseUrl: string | undefined) => {
  const target = new URL(uri);
  return baseUrl ? `${baseUrl}${target.pathname}${target.search}` : uri;
};

const TWILIO_API = 'https://api.twilio.com';

/**
 * A recording's audio (`/2010-04-01/Accounts/AC…/Recordings/RE….mp3`), fetched with the app's
 * credentials as Twilio requires, within the same deadline as every REST request. The SDK's
 * client reads answers as text, so the bytes come through fetch; the body is streamed on.
 * Twilio's refusal is a TwilioRefusedError, a request that never reached it a TwilioUnreachableError.
 */
export async function fetchRecordingAudio(settings: TwilioCredentials, recordingSid: string): Promise<Response> {
  const path = `/2010-04-01/Accounts/${settings.TWILIO_ACCOUNT_SID}/Recordings/${recordingSid}.mp3`;
  const auth = Buffer.from(`${settings.TWILIO_ACCOUNT_SID}:${settings.TWILIO_AUTH_TOKEN}`).toString('base64');
  let response: Response;
  try {
    response = await fetch(redirected(`${TWILIO_API}${path}`, settings.TWILIO_API_BASE_URL), {
      headers: { authorization: `Basic ${auth}` },
      signal: AbortSignal.timeout(DEADLINES.twilioRequestMs),
      redirect: 'follow',
    });
  } catch (error) {
    throw new TwilioUnreachableError(error);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new TwilioRefusedError({
      status: response.status,
      message: `recording ${recordingSid} answered ${response.status}`,
    });
  }
  return response;
}

/** What the SDK throws when Twilio answers with an error (its RestException). */
export interface TwilioRestError {
  status: number;
  code?: number;
  message: string;
  moreInfo?: string;
}

export const isRestException = (error: unknown): error is TwilioRestError =>
  error instanceof Error && typeof (error as { status?: unknown }).status === 'number' && 'moreInfo' in error;

/** Network failures that happen before a request is sent: Twilio cannot have acted on it. */
const NOT_SENT = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Twilio answered with an error: its 4xx is passed on with Twilio's code; its 5xx is our 502. Safe to retry after a 5xx. */
export class TwilioRefusedError extends AppError {
  constructor(readonly rest: TwilioRestError) {
    super(rest.status >= 400 && rest.status < 500 ? rest.status : 502, 'Twilio refused the request', {
      extra: { twilio: { status: rest.status, code: rest.code, message: rest.message, moreInfo: rest.moreInfo } },
      log: 'warn',
      logMessage: `Twilio answered ${rest.status} code ${rest.code ?? '-'}: ${rest.message}`,
    });
    this.name = 'TwilioRefusedError';
  }
}

/** The request never reached Twilio (refused connection, DNS, TLS): nothing happened, safe to retry. */
export class TwilioUnreachableError extends AppError {
  constructor(cause: unknown) {
    super(502, 'Twilio could not be reached', {
      extra: { outcome: 'not-sent', hint: 'Nothing reached Twilio: it is safe to try again.' },
      log: 'error',
      logMessage: `Twilio could not be reached: ${describeError(cause)}`,
    });
    this.name = 'TwilioUnreachableError';
  }
}

/**
 * The request was sent and no answer came (timeout, connection lost): Twilio may have acted.
 * Retrying blindly could place a second call, so the caller is told what to look up instead.
 */
export class TwilioOutcomeUnknownError extends AppError {
  constructor(cause: unknown, lookup: string) {
    super(504, 'Twilio did not answer in time: the outcome is unknown', {
      extra: {
        outcome: 'unknown',
        lookup,
        hint: 'Do not retry blindly: look it up first (a placed call or sent message is recorded by its status callbacks), or retry with the same Idempotency-Key.',
      },
      log: 'error',
      logMessage: `Twilio did not answer (${describeError(cause)}); the outcome is unknown`,
    });
    this.name = 'TwilioOutcomeUnknownError';
  }
}

/**
 * Runs one Twilio REST request and classifies its failure: Twilio's own error, not sent, or
 * sent without an answer. `lookup` names where the caller can find out what happened.
 */
export async function callTwilio<T>(request: () => Promise<T>, lookup: string): Promise<T> {
  try {
    return await request();
  } catch (error) {
    if (isRestException(error)) throw new TwilioRefusedError(error);
    if (!isNetworkError(error)) throw error;
    const code = (error as { code?: unknown }).code;
    throw typeof code === 'string' && NOT_SENT.has(code)
      ? new TwilioUnreachableError(error)
      : new TwilioOutcomeUnknownError(error, lookup);
  }
}

/** The SDK's HTTP client (axios) marks the errors of the request itself. */
const isNetworkError = (error: unknown) =>
  error instanceof Error && (error as { isAxiosError?: unknown }).isAxiosError === true;

/** A recording SID: RE and 32 hex digits, as in a RecordingSid or at the end of a RecordingUrl. */
export const RECORDING_SID = /RE[0-9a-fA-F]{32}/;

/**
 * Deletes a recording at Twilio (DELETE /Recordings/{Sid}.json, 204). Answers false when Twilio
 * no longer has it (404): a deletion repeated after an interruption is not a failure.
 */
export async function deleteRecording(settings: TwilioCredentials, sid: string): Promise<boolean> {
  const client = await getTwilioClient(settings);
  try {
    await callTwilio(() => client.recordings(sid).remove(), `GET /Recordings/${sid}.json`);
    return true;
  } catch (error) {
    if (error instanceof TwilioRefusedError && error.rest.status === 404) return false;
    throw error;
  }
}
