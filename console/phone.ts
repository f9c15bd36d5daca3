/**
 * The phone (#/phone), only in the page `npm start` builds when it runs the local Twilio
 * emulator: call one of the emulator's numbers, read each prompt as it is said, press keys or
 * type what you say, and watch the call's path light up on the flow; text the line and read the
 * thread. The phone talks to the emulator (its live calls, dev/emulator/rest/liveCalls.ts); what
 * the app recorded still comes from the app's own API, as everywhere else on the page.
 */
import { getJson, type CallOrMessage, type FlowGraph } from './api';
import { h } from './dom';
import { drawFlow } from './flow';
import { callPath } from './timeline';
import { every, type View } from './view';

/** Where the emulator listens and the token its phone routes take: written into the local page at build. */
export interface PhoneConfig {
  url: string;
  token: string;
}

interface Line {
  verb: string;
  text: string;
  depth?: number;
}

interface Waiting {
  verb: 'Gather' | 'Record';
  input: string[];
  numDigits?: number;
  finishOnKey: string;
  until: string;
}

interface LiveReport {
  call: { sid: string; status: string };
  done: boolean;
  lines: Line[];
  next: number;
  waiting: Waiting | null;
  changes: number;
  error?: { code: number; message: string };
}

interface Text {
  sid: string;
  from: string;
  to: string;
  body: string;
  date_created: string;
}

const DEFAULT_CALLER = '+15550100199';
const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

function emulatorClient(config: PhoneConfig) {
  return async <T>(path: string, form?: Record<string, string>): Promise<T> => {
    const response = await fetch(`${config.url}/_emulator${path}`, {
      method: form ? 'POST' : 'GET',
      headers: {
        authorization: `Bearer ${config.token}`,
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { body: new URLSearchParams(form) } : {}),
    });
    const body = (await response.json().catch(() => ({}))) as T & { message?: string };
    if (!response.ok) throw new Error(`The emulator answered ${response.status}: ${body.message ?? ''}`);
    return body;
  };
}

/** What the call waits for, in words: "a key (1 key, # to finish) or words · 12 s left". */
function describeWait(waiting: Waiting): string {
  const left = Math.max(0, Math.round((Date.parse(waiting.until) - Date.now()) / 1000));
  if (waiting.verb === 'Record')
    return `Recording your message: press ${waiting.finishOnKey || 'a key'} to finish, or hang up · ${left} s left`;
  const keys = waiting.input.includes('dtmf')
    ? `keys${waiting.numDigits ? ` (${waiting.numDigits})` : ''}${waiting.finishOnKey ? `, ${waiting.finishOnKey} to finish` : ''}`
    : '';
  const words = waiting.input.includes('speech') ? 'words' : '';
  return `Waiting for ${[keys, words].filter(Boolean).join(' or ')} · ${left} s left`;
}

const lineItem = (line: Line) =>
  h('li', { class: `heard verb-${line.verb}${line.depth ? ' nested' : ''}` }, h('b', {}, line.verb), ' ', line.text);

export function phoneView(config: PhoneConfig): View {
  const emulator = emulatorClient(config);
  const stops: Array<() => void> = [];
  const flow = h('div', { class: 'phone-flow' });
  const graph = getJson<FlowGraph>('flows/graph');
  const showPath = async (sid?: string) => {
    const events = sid ? ((await getJson<CallOrMessage>(`calls/${sid}`).catch(() => undefined))?.events ?? []) : [];
    flow.replaceChildren(drawFlow(await graph, callPath(events)));
  };
  void showPath().catch((error: unknown) => flow.replaceChildren(errorLine(error)));
  const caller = h('input', { id: 'phone-from', type: 'tel', value: DEFAULT_CALLER, size: '16', required: '' });
  const handset = handsetPanel(emulator, caller, showPath, stops);
  const thread = threadPanel(emulator, caller, stops);
  return {
    root: h(
      'section',
      { 'aria-label': 'phone', class: 'phone' },
      h('h1', {}, 'Phone'),
      h(
        'p',
        { class: 'note' },
        'A phone on the local Twilio emulator: your calls and texts reach the app as Twilio sends them. You hear nothing and see everything.',
      ),
      h('div', { class: 'phone-grid' }, handset, thread),
      h('h2', {}, 'On the flow'),
      flow,
    ),
    stop: () => stops.forEach((stop) => stop()),
  };
}

const errorLine = (error: unknown) =>
  h('p', { class: 'error', role: 'alert' }, error instanceof Error ? error.message : String(error));

type Emulator = ReturnType<typeof emulatorClient>;

function handsetPanel(
  emulator: Emulator,
  caller: HTMLInputElement,
  showPath: (sid?: string) => Promise<void>,
  stops: Array<() => void>,
): HTMLElement {
  const to = h('select', { id: 'phone-to' });
  const dialOutcome = h(
    'select',
    { id: 'phone-dial-outcome' },
    ...[
      ['completed', 'answers'],
      ['no-answer', 'does not answer'],
      ['busy', 'is busy'],
      ['failed', 'cannot be reached'],
    ].map(([value, label]) => h('option', { value }, label)),
  );
  emulator<{ phoneNumbers: string[] }>('')
    .then(({ phoneNumbers }) => to.replaceChildren(...phoneNumbers.map((n) => h('option', { value: n }, n))))
    .catch((error: unknown) => dialForm.append(errorLine(error)));
  const call = h('div', { class: 'live-call' });
  const dialForm = h(
    'form',
    { class: 'dial' },
    h('label', {}, 'Your number ', caller),
    h('label', {}, 'Call ', to),
    h('label', {}, 'Whoever the line dials ', dialOutcome),
    h('button', { type: 'submit', id: 'phone-call' }, 'Call'),
  );
  dialForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const form = { From: caller.value.trim(), To: to.value, DialOutcome: dialOutcome.value };
    emulator<LiveReport>('/LiveCalls', form)
      .then((report) => {
        call.replaceChildren(liveCall(emulator, report.call.sid, showPath, stops));
        // The keypad takes the focus, so typed keys press it straight away.
        call.querySelector<HTMLButtonElement>('.keypad button')?.focus();
      })
      .catch((error: unknown) => call.replaceChildren(errorLine(error)));
  });
  return h('div', { class: 'handset' }, h('h2', {}, 'Call'), dialForm, call);
}

/** One live call: what is said as it comes, what it waits for, the keypad, words, silence and hang up. */
function liveCall(
  emulator: Emulator,
  sid: string,
  showPath: (sid?: string) => Promise<void>,
  stops: Array<() => void>,
): HTMLElement {
  const heard = h('ol', { class: 'heard-lines', 'aria-live': 'polite', 'aria-label': 'What the call says' });
  const status = h('p', { class: 'call-status', role: 'status' }, 'Ringing…');
  const failure = h('div');
  let report: LiveReport | undefined;
  const send = (form: Record<string, string>) =>
    void emulator(`/LiveCalls/${sid}/Input`, form).catch((error: unknown) => failure.replaceChildren(errorLine(error)));
  const controls = callControls(send);
  const render = () => {
    if (!report) return;
    status.textContent = report.done
      ? `Call ended: ${report.call.status}${report.error ? ` (${report.error.code} ${report.error.message})` : ''}`
      : report.waiting
        ? describeWait(report.waiting)
        : 'The app is answering…';
    controls.toggleAttribute('hidden', report.done);
  };
  let after = 0;
  let stopped = false;
  const poll = async () => {
    while (!stopped && !report?.done) {
      const next = await emulator<LiveReport>(
        `/LiveCalls/${sid}?after=${after}&changes=${report?.changes ?? -1}&wait=20`,
      );
      heard.append(...next.lines.map(lineItem));
      const moved = next.next !== after || next.done;
      after = next.next;
      report = next;
      render();
      if (moved) await showPath(sid).catch(() => undefined);
    }
    // The app records the end a moment after the emulator: read the path once more.
    window.setTimeout(() => void showPath(sid).catch(() => undefined), 1500);
  };
  void poll().catch((error: unknown) => failure.replaceChildren(errorLine(error)));
  const ticker = window.setInterval(render, 1000);
  stops.push(() => {
    stopped = true;
    window.clearInterval(ticker);
  });
  return h(
    'div',
    { 'data-sid': sid },
    h('p', {}, 'Call ', h('a', { href: `#/calls/${sid}` }, sid)),
    status,
    heard,
    controls,
    failure,
  );
}

function callControls(send: (form: Record<string, string>) => void): HTMLElement {
  const keypad = h(
    'div',
    { class: 'keypad', role: 'group', 'aria-label': 'Keypad' },
    ...KEYS.map((key) => {
      const button = h('button', { type: 'button', 'data-key': key }, key);
      button.addEventListener('click', () => send({ Digits: key }));
      return button;
    }),
  );
  const words = h('input', { id: 'phone-say', type: 'text', placeholder: 'what you say', size: '24' });
  const sayForm = h('form', { class: 'say' }, h('label', {}, 'Say ', words), h('button', { type: 'submit' }, 'Say it'));
  sayForm.addEventListener('submit', (event) => {
    event.preventDefault();
    if (words.value.trim()) send({ Speech: words.value.trim() });
    words.value = '';
  });
  const button = (label: string, form: Record<string, string>, id: string) => {
    const element = h('button', { type: 'button', id }, label);
    element.addEventListener('click', () => send(form));
    return element;
  };
  const controls = h(
    'div',
    { class: 'controls' },
    keypad,
    sayForm,
    h(
      'p',
      {},
      button('Stay silent', { Silence: 'true' }, 'phone-silence'),
      ' ',
      button('Hang up', { Hangup: 'true' }, 'phone-hangup'),
    ),
  );
  // Digit keys typed anywhere but in a text field press the keypad.
  controls.addEventListener('keydown', (event) => {
    if (event.target instanceof HTMLInputElement || !KEYS.includes(event.key)) return;
    event.preventDefault();
    send({ Digits: event.key });
  });
  return controls;
}

function threadPanel(emulator: Emulator, caller: HTMLInputElement, stops: Array<() => void>): HTMLElement {
  const list = h('ol', { class: 'thread', 'aria-live': 'polite', 'aria-label': 'Texts' });
  const failure = h('div');
  const body = h('input', { id: 'phone-text', type: 'text', placeholder: 'a text to the line', size: '28' });
  const to = () => (document.getElementById('phone-to') as HTMLSelectElement | null)?.value ?? '';
  const load = async () => {
    const number = caller.value.trim();
    if (!number) return;
    const { messages } = await emulator<{ messages: Text[] }>(`/messages?Number=${encodeURIComponent(number)}`);
    list.setAttribute('data-loaded', '');
    list.replaceChildren(
      ...messages.map((message) =>
        h(
          'li',
          { class: message.from === number ? 'mine' : 'theirs', 'data-sid': message.sid },
          h('span', { class: 'who' }, message.from === number ? `to ${message.to}` : `from ${message.from}`),
          ' ',
          message.body,
        ),
      ),
    );
  };
  const form = h('form', { class: 'text' }, h('label', {}, 'Text ', body), h('button', { type: 'submit' }, 'Send'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = body.value.trim();
    if (!text) return;
    body.value = '';
    emulator('/messages', { From: caller.value.trim(), To: to(), Body: text })
      .then(load)
      .then(() => failure.replaceChildren())
      .catch((error: unknown) => failure.replaceChildren(errorLine(error)));
  });
  void load().catch(() => undefined);
  stops.push(
    every(
      () => 2000,
      () => load().catch(() => undefined),
    ),
  );
  return h('div', { class: 'texts' }, h('h2', {}, 'Texts'), list, form, failure);
}
