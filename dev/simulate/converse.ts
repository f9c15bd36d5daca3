/**
 * `simulate converse`: start a text conversation with POST /api/messages (`flow`), then play the
 * party's replies through the local emulator, one at a time; `-` lets a question go unanswered:
 * the conversation timer is run at that question's deadline (the local host's
 * POST /admin/functions/conversationTimeouts, at X-Emulator-Time). Prints the conversation's path
 * as it grows, from GET /api/conversations/{id}.
 */
import { CommandError, requireOption, UsageError } from '../cli/args';
import { EXIT } from '../cli/command';
import { EMULATOR_TIME_HEADER } from '../emulator/interpreter/webhook';
import { callerNumber, ourNumber, type SimulateContext } from './context';
import { variables } from './placeOptions';

interface PathEntry {
  at: string;
  event: string;
  step?: string;
  text?: string;
}
interface ConversationJson {
  id: string;
  status: string;
  updatedAt: string;
  dueAt?: string;
  endReason?: string;
  pathLine: string;
  path: PathEntry[];
}

const NO_REPLY = '-';
const WAIT_MS = 15_000;

export async function simulateConverse(
  context: SimulateContext,
  values: { 'flow-step'?: string; replies?: string; to?: string; from?: string; var?: string[]; key?: string },
): Promise<number> {
  const { print, appUrl } = context;
  const step = requireOption(values['flow-step'], 'flow-step');
  const line = ourNumber(values.from, context.target);
  const party = callerNumber(values.to, line);
  const replies = values.replies === undefined ? [] : values.replies.split('|');
  if (!context.emulatorUrl && replies.some((reply) => reply !== NO_REPLY))
    throw new UsageError('replies are texted through the local emulator: run npm start (without --url)');
  const headers = { 'content-type': 'application/json', ...(values.key ? { 'x-functions-key': values.key } : {}) };
  const flow = { step, variables: variables(values.var) };
  const started = await appRequest(`${appUrl}/api/messages`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ to: party, ...(values.from ? { from: line } : {}), flow }),
  });
  let conversation = (await started.json()) as ConversationJson;
  print.line(`${print.paint.bold('Started')}  ${conversation.id} ${line} → ${party} at ${step}`);
  let shown = 0;
  const show = (next: ConversationJson) => {
    for (const entry of next.path.slice(shown)) print.line(pathRow(entry, print.paint.dim));
    shown = next.path.length;
    conversation = next;
  };
  const read = () => readConversation(appUrl, conversation.id, values.key);
  show(await settled(read, conversation.updatedAt, true));
  for (const reply of replies) {
    if (conversation.status !== 'waiting') {
      print.warn(`the conversation ended before the replies "${replies.slice(replies.indexOf(reply)).join('|')}"`);
      break;
    }
    const before = conversation.updatedAt;
    if (reply === NO_REPLY) await runTimeout(appUrl, conversation.dueAt!, values.key);
    else await textLine(context, { from: party, to: line, body: reply });
    show(await settled(read, before));
  }
  print.document(conversation);
  print.line(`${print.paint.bold('Path')}     ${conversation.pathLine}`);
  print.line(
    `${print.paint.bold(conversation.status === 'waiting' ? 'Waiting' : 'Ended')}    ${conversation.endReason ?? `until ${conversation.dueAt}`}`,
  );
  return EXIT.ok;
}

const pathRow = (entry: PathEntry, dim: (text: string) => string) =>
  `  ${dim(entry.at.slice(11, 19))}  ${entry.event.padEnd(8)} ${(entry.step ?? '').padEnd(18)} ${entry.text ?? ''}`.trimEnd();

async function appRequest(url: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(20_000) });
  } catch (error) {
    throw new CommandError(
      `could not reach ${url} (${error instanceof Error ? error.message : String(error)}): is npm start running?`,
    );
  }
  if (!response.ok)
    throw new CommandError(`${init.method ?? 'GET'} ${url} answered ${response.status}: ${await response.text()}`);
  return response;
}

async function readConversation(appUrl: string, id: string, key: string | undefined): Promise<ConversationJson> {
  const response = await appRequest(`${appUrl}/api/conversations/${id}`, {
    headers: key ? { 'x-functions-key': key } : {},
  });
  return (await response.json()) as ConversationJson;
}

/** The conversation once it moved past `before` and its texts went out (the queue sends them within a second or two). */
async function settled(read: () => Promise<ConversationJson>, before: string, now = false): Promise<ConversationJson> {
  const until = Date.now() + WAIT_MS;
  for (;;) {
    const conversation = await read();
    if (now || conversation.updatedAt !== before || Date.now() > until) return conversation;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The timer run as if the question's deadline had just passed. */
async function runTimeout(appUrl: string, dueAt: string, key: string | undefined): Promise<void> {
  const at = new Date(Date.parse(dueAt) + 1000).toISOString();
  await appRequest(`${appUrl}/admin/functions/conversationTimeouts`, {
    method: 'POST',
    headers: { [EMULATOR_TIME_HEADER]: at, ...(key ? { 'x-functions-key': key } : {}) },
  });
}

async function textLine(context: SimulateContext, text: { from: string; to: string; body: string }): Promise<void> {
  const { accountSid, authToken } = context.target;
  await appRequest(`${new URL(context.emulatorUrl!).origin}/_emulator/messages`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ From: text.from, To: text.to, Body: text.body }),
  });
}
