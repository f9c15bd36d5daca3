/**
 * The texts the app sent on its own because of a simulated call or text: a call's sms actions,
 * a voicemail notice and its transcription to the owner, forwards. The app queues them while it
 * answers (each request's event lists them: `voicemail to +15550100000`) and its queue function
 * sends them a moment later, so they are read from the app's own records: the record of the
 * call or text says which were queued, and each text's record (GET /api/messages, its `causeSid`)
 * what was sent.
 */
import { alignRows } from '../cli/output';
import type { SimulateContext } from './context';

/** How long to wait for queued texts: the queue is polled every 2 s at most, and a try may be retried. */
const SEND_WAIT_MS = 15_000;
const POLL_MS = 300;

const LABELS: Record<string, string> = {
  sms: 'Text',
  forward: 'Forward',
  voicemail: 'Voicemail',
  transcription: 'Transcript',
};

interface SentText {
  sid: string;
  from?: string;
  to?: string;
  body?: string;
  purpose?: string;
  causeSid?: string;
  createdAt?: string;
}

async function getJson<T>(url: string, key: string | undefined): Promise<T | undefined> {
  const response = await fetch(url, {
    headers: key ? { 'x-functions-key': key } : {},
    signal: AbortSignal.timeout(10_000),
  }).catch(() => undefined);
  return response?.ok ? ((await response.json()) as T) : undefined;
}

/** The texts the record's events say were queued: `voicemail to +15550100000`, once each. */
async function queuedTexts(context: SimulateContext, what: { kind: 'call' | 'message'; sid: string }, key?: string) {
  const path = what.kind === 'call' ? 'calls' : 'messages';
  const record = await getJson<{ events?: Array<{ texts?: string[] }> }>(
    `${context.appUrl}/api/${path}/${what.sid}`,
    key,
  );
  return [...new Set((record?.events ?? []).flatMap((event) => event.texts ?? []))];
}

/** The app's records of texts it sent from `line` because of `sid`, oldest first. */
async function sentTexts(context: SimulateContext, line: string, sid: string, key?: string): Promise<SentText[]> {
  const query = new URLSearchParams({ number: line, direction: 'outbound', limit: '100' });
  const page = await getJson<{ items: SentText[] }>(`${context.appUrl}/api/messages?${query}`, key);
  return (page?.items ?? [])
    .filter((text) => text.causeSid === sid)
    .sort((a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? ''));
}

/**
 * Prints each text the app sent because of the call or text `sid` (from `line`), one row each,
 * labelled with what it is (a forward is a Forward, never a Reply), after waiting for the queue
 * to send what the record says was queued. Answers them, for --json.
 */
export async function printSentTexts(
  context: SimulateContext,
  what: { kind: 'call' | 'message'; sid: string },
  line: string,
  key: string | undefined,
): Promise<SentText[]> {
  const { print } = context;
  const { paint } = print;
  const queued = await queuedTexts(context, what, key);
  if (queued.length === 0) return [];
  const deadline = Date.now() + SEND_WAIT_MS;
  let sent = await sentTexts(context, line, what.sid, key);
  while (sent.length < queued.length && Date.now() < deadline) {
    await new Promise((done) => setTimeout(done, POLL_MS));
    sent = await sentTexts(context, line, what.sid, key);
  }
  const described = new Set(sent.map((text) => `${text.purpose ?? 'sms'} to ${text.to}`));
  print.lines(
    alignRows([
      ...sent.map((text) => [
        paint.bold(LABELS[text.purpose ?? 'sms'] ?? 'Text'),
        `${text.from ?? '?'} → ${text.to ?? '?'}`,
        paint.green(text.body ?? '') + paint.dim(`  (${text.purpose ?? 'sms'}, ${text.sid.slice(0, 6)}…)`),
      ]),
      ...queued
        .filter((text) => !described.has(text))
        .map((text) => [
          paint.bold('Queued'),
          text,
          paint.yellow(`not sent within ${SEND_WAIT_MS / 1000} s (is the queue function running?)`),
        ]),
    ]),
  );
  return sent;
}
