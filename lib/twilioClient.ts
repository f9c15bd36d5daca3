import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import type { Twilio } from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import type { Settings } from './config';
import { describeError, problem } from './http';

type TwilioModule = typeof import('twilio');

/**
 * The REST client is loaded on first use, not at start: webhooks never need it, and
 * loading the SDK's REST layer costs cold-start time against Twilio's 15-second budget.
 */
let client: { settings: Settings; twilio: Twilio } | undefined;

export async function getTwilioClient(settings: Settings): Promise<Twilio> {
  if (client?.settings !== settings) client = { settings, twilio: await createTwilioClient(settings) };
  return client.twilio;
}

export type TwilioCredentials = Pick<Settings, 'TWILIO_ACCOUNT_SID' | 'TWILIO_AUTH_TOKEN' | 'TWILIO_API_BASE_URL'>;

export async function createTwilioClient(settings: TwilioCredentials): Promise<Twilio> {
  const twilio = (await import('twilio')).default;
  const httpClient = settings.TWILIO_API_BASE_URL
    ? redirectingClient(twilio, settings.TWILIO_API_BASE_URL)
    : undefined;
  return twilio(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, { httpClient });
}

/** The SDK has no base-URL option: this client sends every request to `baseUrl` instead of *.twilio.com. */
function redirectingClient(twilio: TwilioModule, baseUrl: string): RequestClient {
  class RedirectingRequestClient extends twilio.RequestClient {
    override request<TData>(opts: RequestClient.RequestOptions<TData>) {
      const target = new URL(opts.uri);
      return super.request({ ...opts, uri: `${baseUrl}${target.pathname}${target.search}` });
    }
  }
  return new RedirectingRequestClient();
}

interface TwilioRestError {
  status: number;
  code?: number;
  message: string;
  moreInfo?: string;
}

const isRestException = (error: unknown): error is TwilioRestError =>
  error instanceof Error && typeof (error as { status?: unknown }).status === 'number' && 'moreInfo' in error;

/**
 * What our caller hears when Twilio refuses or cannot be reached: Twilio's own 4xx with its
 * code and documentation link, or 502 for Twilio's 5xx and network failures. Nothing else of
 * the error (it can carry request config) reaches the response or the log.
 */
export function twilioErrorResponse(error: unknown, context: InvocationContext): HttpResponseInit {
  if (isRestException(error)) {
    context.warn(`Twilio answered ${error.status} code ${error.code ?? '-'}: ${error.message}`);
    const status = error.status >= 400 && error.status < 500 ? error.status : 502;
    return problem(status, 'Twilio refused the request', undefined, {
      twilio: { status: error.status, code: error.code, message: error.message, moreInfo: error.moreInfo },
    });
  }
  context.error(`Twilio could not be reached: ${describeError(error)}`);
  return problem(502, 'Twilio could not be reached');
}
