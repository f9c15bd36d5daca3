/** Plays Twilio for an incoming SMS: posts the signed webhook and reads the replies out of the Messaging TwiML. */
import { isElement, parseTwiml, textOf, TwimlError, type TwimlElement } from './twiml';
import { httpMethod, sendWebhook, type WebhookResult } from './webhook';

export interface SmsReply {
  to: string;
  from: string;
  body: string;
  media: string[];
}

export interface MessagingFlowResult {
  replies: SmsReply[];
  error?: { code: number; message: string };
}

export interface MessagingFlowOptions {
  authToken: string;
  /** The inbound message's parameters: MessageSid, AccountSid, From, To, Body, NumMedia… */
  message: Record<string, string>;
  url: string;
  method?: string;
  /** Requested with ErrorCode and ErrorUrl when the first request fails (the number's SmsFallbackUrl). */
  fallback?: { url: string; method?: string };
  /** <Redirect>s followed before giving up; default 10. */
  maxRedirects?: number;
  signal?: AbortSignal;
  onRequest?: (result: WebhookResult) => void;
  /** When the text arrives (ISO 8601), if not now: sent as X-Emulator-Time. */
  at?: string;
}

export async function runMessagingFlow(options: MessagingFlowOptions): Promise<MessagingFlowResult> {
  const result = await followMessagingTwiml(options, { url: options.url, method: options.method ?? 'POST' });
  const { fallback } = options;
  if (!result.error || !fallback || !result.firstFailed)
    return { replies: result.replies, ...(result.error ? { error: result.error } : {}) };
  const params = { ErrorCode: String(result.error.code), ErrorUrl: options.url };
  const retried = await followMessagingTwiml(options, { url: fallback.url, method: fallback.method ?? 'POST' }, params);
  return { replies: retried.replies, ...(retried.error ? { error: retried.error } : {}) };
}

async function followMessagingTwiml(
  options: MessagingFlowOptions,
  start: { url: string; method: string },
  extra: Record<string, string> = {},
): Promise<MessagingFlowResult & { firstFailed?: boolean }> {
  const replies: SmsReply[] = [];
  let target: { url: string; method: string } | undefined = start;
  for (let redirects = 0; target; redirects++) {
    if (redirects > (options.maxRedirects ?? 10))
      return { replies, error: { code: 11100, message: 'too many <Redirect>s (a loop?)' } };
    const result = await sendWebhook(
      options.authToken,
      { ...target, params: { ...options.message, ...extra }, ...(options.at ? { at: options.at } : {}) },
      options.signal,
    );
    options.onRequest?.(result);
    const where = `${result.method} ${result.url}`;
    const firstFailed = redirects === 0;
    if (result.status === undefined)
      return {
        replies,
        firstFailed,
        error: { code: 11205, message: `HTTP connection failure: ${where}: ${result.error}` },
      };
    if (result.error)
      return {
        replies,
        firstFailed,
        error: { code: 11200, message: `HTTP retrieval failure: ${where} answered ${result.error}` },
      };
    // An empty 200 is a valid "no reply".
    if (result.body.trim() === '') return { replies };
    let verbs: TwimlElement[];
    try {
      verbs = parseTwiml(result.body);
    } catch (error) {
      if (!(error instanceof TwimlError)) throw error;
      return {
        replies,
        firstFailed,
        error: { code: 12100, message: `Document parse failure: ${where} answered ${error.message}` },
      };
    }
    target = undefined;
    for (const verb of verbs) {
      if (verb.name === 'Message') replies.push(reply(verb, options.message));
      if (verb.name === 'Redirect') {
        target = { url: new URL(textOf(verb), result.url).toString(), method: httpMethod(verb.attributes.method) };
        break;
      }
    }
  }
  return { replies };
}

function reply(verb: TwimlElement, inbound: Record<string, string>): SmsReply {
  const children = verb.children.filter(isElement);
  const body = children.find((child) => child.name === 'Body');
  return {
    to: verb.attributes.to ?? inbound.From ?? '',
    from: verb.attributes.from ?? inbound.To ?? '',
    body: body ? textOf(body) : textOf({ ...verb, children: verb.children.filter((child) => !isElement(child)) }),
    media: children.filter((child) => child.name === 'Media').map(textOf),
  };
}
