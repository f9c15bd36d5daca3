/**
 * `simulate campaign`: starts a small campaign on the app (POST /api/campaigns) and prints its
 * progress (GET /api/campaigns/{id}) once a second until nothing of it waits and every send has
 * settled (delivered or failed), then the last progress in full.
 */
import { CommandError } from '../cli/args';
import { EXIT } from '../cli/command';
import type { SimulateContext } from './context';
import { describeAppError, responseJson } from './placeCall';

const FIRST_NUMBER = 15550200000;
const STATES = ['waiting', 'waitingForWindow', 'sent', 'delivered', 'failed', 'optedOut', 'canceled'] as const;

export interface CampaignValues {
  count?: number;
  rate?: number;
  body?: string;
  step?: string;
  call?: boolean;
  key?: string;
  timeout?: number;
}

interface Progress {
  id: string;
  done: boolean;
  counts: Record<(typeof STATES)[number], number>;
  achieved: Record<string, unknown>;
}

async function appRequest(url: string, headers: Record<string, string>, body?: unknown) {
  let response: Response;
  try {
    response = await fetch(url, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { ...headers, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new CommandError(
      `could not reach ${url} (${error instanceof Error ? error.message : String(error)}): is npm start running, or is --url right?`,
    );
  }
  const answer = await responseJson(response);
  if (!response.ok)
    throw new CommandError(
      `${body === undefined ? 'GET' : 'POST'} ${url} answered ${response.status}: ${describeAppError(answer)}`,
    );
  return answer as Progress;
}

/** What the campaign sends: `count` fictional numbers from +15550200000 on, each with a name. */
export function campaignBody(values: CampaignValues) {
  const count = values.count ?? 5;
  const recipients = Array.from({ length: count }, (_, n) => ({
    to: `+${FIRST_NUMBER + n}`,
    variables: { name: `Guest ${n + 1}` },
  }));
  const what = values.call
    ? { call: values.step ? { step: values.step } : {}, rate: { callsPerSecond: values.rate ?? 1 } }
    : {
        text: { body: values.body ?? 'Hi {{ variables.name }}, this is a campaign from npm run simulate.' },
        rate: { textsPerSecond: values.rate ?? 1 },
      };
  return { name: `simulate ${new Date().toISOString()}`, ...what, recipients };
}

const settled = (progress: Progress) => progress.done && progress.counts.sent === 0;

export async function simulateCampaign(context: SimulateContext, values: CampaignValues): Promise<number> {
  const { print, appUrl } = context;
  const { paint } = print;
  const headers: Record<string, string> = values.key ? { 'x-functions-key': values.key } : {};
  const body = campaignBody(values);
  const created = await appRequest(`${appUrl}/api/campaigns`, headers, body);
  const progressUrl = `${appUrl}/api/campaigns/${created.id}`;
  print.line(
    `${paint.bold('Campaign')} ${created.id}: ${body.recipients.length} ${values.call ? 'calls' : 'texts'} ${paint.dim(`(POST ${appUrl}/api/campaigns 201)`)}`,
  );
  const started = Date.now();
  const deadline = started + (values.timeout ?? 120) * 1000;
  let progress = created;
  let last = '';
  for (;;) {
    progress = await appRequest(progressUrl, headers);
    const line = STATES.filter((state) => progress.counts[state] > 0)
      .map((state) => `${state} ${progress.counts[state]}`)
      .join(' · ');
    if (line !== last)
      print.line(`${paint.dim(`${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s`)}  ${line}`);
    last = line;
    if (settled(progress) || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  const rate = progress.achieved.textsPerSecond ?? progress.achieved.callsPerSecond;
  print.line(`${paint.bold('Achieved')} ${rate ?? '-'} per second ${paint.dim(`(GET ${progressUrl})`)}`);
  print.document(progress);
  if (!settled(progress)) {
    print.error(`the campaign had not finished within ${values.timeout ?? 120} s: ${last}`);
    return EXIT.failed;
  }
  return EXIT.ok;
}
