/**
 * A call or message opened on its timeline: every status and flow turn in order, recordings
 * playable, transcriptions, variables (secret ones hidden) and, for a call, its path on the flow.
 */
import { getJson, getText, LIVE, mediaUrl, type CallOrMessage, type FlowGraph, type RecordEvent } from './api';
import { h, time } from './dom';
import { drawFlow, type Path } from './flow';
import { every, type View } from './view';

const KNOWN = new Set([
  'status',
  'source',
  'at',
  'sequence',
  'twilioTimestamp',
  'turn',
  'step',
  'digits',
  'speech',
  'dialed',
  'outcome',
  'rule',
  'recordingSid',
  'recordingUrl',
  'recordingDuration',
  'transcription',
  'twiml',
  'duration',
  'errorCode',
]);

/** A variable whose name says it is a secret is never shown. */
const SECRET = /secret|token|password|passcode|pin|key|ssn|card/i;

function eventDetails(sid: string, event: RecordEvent): Array<HTMLElement | string> {
  const parts: Array<HTMLElement | string> = [];
  if (event.step) parts.push(h('span', { class: 'step' }, `step ${event.step}`));
  if (event.digits !== undefined) parts.push(`pressed ${event.digits}`);
  if (event.speech !== undefined) parts.push(`said “${event.speech}”`);
  if (event.dialed !== undefined) parts.push(`dialed ${event.dialed}`);
  if (event.outcome !== undefined) parts.push(`outcome ${event.outcome}`);
  if (event.rule !== undefined) parts.push(`rule ${event.rule}`);
  if (event.duration !== undefined) parts.push(`${event.duration} s`);
  if (event.errorCode !== undefined) parts.push(`error ${event.errorCode}`);
  // Whatever else a turn carries (a hook's name and time, …) is shown as it is.
  for (const [name, value] of Object.entries(event))
    if (!KNOWN.has(name) && value !== undefined)
      parts.push(`${name} ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  if (event.recordingSid)
    parts.push(
      h(
        'span',
        { class: 'recording' },
        `recording ${event.recordingDuration ?? '?'} s `,
        h('audio', { controls: '', preload: 'none', src: mediaUrl(`calls/${sid}/recordings/${event.recordingSid}`) }),
      ),
    );
  if (event.transcription !== undefined) parts.push(h('q', {}, event.transcription));
  if (typeof event.twiml === 'string')
    parts.push(h('details', { class: 'twiml' }, h('summary', {}, 'TwiML'), h('pre', {}, event.twiml)));
  return parts;
}

function eventItem(sid: string, event: RecordEvent): HTMLLIElement {
  return h(
    'li',
    { class: event.turn !== undefined ? 'turn' : 'status-event' },
    h('time', { datetime: event.at }, time(event.at)),
    ' ',
    h('span', { class: `status status-${event.status}` }, event.status),
    ' ',
    h('span', { class: 'source' }, event.source),
    ' ',
    h(
      'span',
      { class: 'details' },
      ...eventDetails(sid, event)
        .flatMap((part) => [' · ', part])
        .slice(1),
    ),
  );
}

function variables(record: CallOrMessage): HTMLElement | undefined {
  const entries = Object.entries(record.variables ?? {});
  if (!entries.length) return undefined;
  return h(
    'section',
    {},
    h('h2', {}, 'Variables'),
    h(
      'dl',
      { class: 'variables' },
      ...entries.flatMap(([name, value]) => [
        h('dt', {}, name),
        h('dd', {}, SECRET.test(name) ? '(hidden)' : typeof value === 'string' ? value : JSON.stringify(value)),
      ]),
    ),
  );
}

/** The steps the call entered, in turn order. */
export function callPath(events: RecordEvent[]): Path {
  const steps = events
    .filter((event) => event.turn !== undefined && event.step)
    .sort((a, b) => a.turn! - b.turn!)
    .map((event) => event.step!);
  return steps.filter((step, index) => step !== steps[index - 1]);
}

function summary(record: CallOrMessage): HTMLElement {
  return h(
    'dl',
    { class: 'summary' },
    ...[
      ['SID', record.sid],
      ['Direction', record.direction],
      ['From', record.from],
      ['To', record.to],
      ['Status', record.status],
      ['Created', time(record.createdAt)],
      ...(record.duration !== undefined ? [['Duration', `${record.duration} s`]] : []),
      ...(record.body !== undefined ? [['Body', record.body]] : []),
    ].flatMap(([name, value]) => [h('dt', {}, name!), h('dd', {}, value ?? '')]),
  );
}

export function timelineView(kind: 'call' | 'message', sid: string): View {
  const content = h('div', { class: 'timeline' }, h('p', { role: 'status' }, 'Loading…'));
  let graph: Promise<FlowGraph> | undefined;
  let record: CallOrMessage | undefined;
  const load = async () => {
    record = await getJson<CallOrMessage>(`${kind}s/${sid}`);
    const events = record.events ?? [];
    const path = kind === 'call' ? await getText(`calls/${sid}/transcript`) : '';
    graph ??= kind === 'call' ? getJson<FlowGraph>('flows/graph') : undefined;
    content.replaceChildren(
      summary(record),
      ...(record.mediaUrls?.length
        ? [h('p', {}, 'Media: ', ...record.mediaUrls.map((url) => h('a', { href: url, rel: 'noreferrer' }, url)))]
        : []),
      ...(path ? [h('p', { class: 'path' }, h('strong', {}, 'Path: '), path.split('\n')[1] ?? '')] : []),
      h('h2', {}, 'Timeline'),
      h('ol', { class: 'events' }, ...events.map((event) => eventItem(sid, event))),
      variables(record) ?? '',
      ...(graph ? [h('h2', {}, 'On the flow'), drawFlow(await graph, callPath(events))] : []),
    );
  };
  const fail = (error: unknown) =>
    content.replaceChildren(
      h('p', { class: 'error', role: 'alert' }, error instanceof Error ? error.message : String(error)),
    );
  void load().catch(fail);
  const stop = every(
    () => (record && !LIVE.has(record.status) ? 15_000 : 2_000),
    () => load().catch(fail),
  );
  return {
    root: h(
      'section',
      { 'aria-label': `${kind} ${sid}` },
      h('p', {}, h('a', { href: `#/${kind}s` }, `← ${kind === 'call' ? 'Calls' : 'Messages'}`)),
      h('h1', {}, `${kind === 'call' ? 'Call' : 'Message'} ${sid}`),
      content,
    ),
    stop,
  };
}
