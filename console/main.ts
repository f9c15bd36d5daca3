/**
 * The console: one page whose address after # says what it shows (#/calls, #/calls/CA…,
 * #/messages, #/messages/SM…, #/flow, and #/phone in the page npm start builds with the
 * emulator). Links and buttons only, so the keyboard reaches all of it.
 */
import { getJson, type FlowGraph } from './api';
import { h } from './dom';
import { drawFlow } from './flow';
import { logView } from './log';
import { phoneView, type PhoneConfig } from './phone';
import { timelineView } from './timeline';
import type { View } from './view';

/** The emulator's phone, set by dev/consoleBuild.ts: null (and the phone left out of the bundle) but in npm start's own page. */
declare const __PHONE__: PhoneConfig | null;

function flowView(): View {
  const root = h('section', { 'aria-label': 'flow' }, h('h1', {}, 'Flow'), h('p', { role: 'status' }, 'Loading…'));
  getJson<FlowGraph>('flows/graph')
    .then((graph) => root.replaceChildren(h('h1', {}, 'Flow'), drawFlow(graph)))
    .catch((error: unknown) =>
      root.append(h('p', { class: 'error', role: 'alert' }, String(error instanceof Error ? error.message : error))),
    );
  return { root, stop: () => {} };
}

function route(hash: string): View {
  const [, section, sid] = hash.split('/');
  if (section === 'calls' && sid) return timelineView('call', sid);
  if (section === 'messages' && sid) return timelineView('message', sid);
  if (section === 'messages') return logView('message');
  if (section === 'flow') return flowView();
  if (__PHONE__ && section === 'phone') return phoneView(__PHONE__);
  return logView('call');
}

if (__PHONE__) document.querySelector('nav')?.append(h('a', { href: '#/phone' }, 'Phone'));

let current: View | undefined;
const main = document.getElementById('main')!;

function show() {
  current?.stop();
  current = route(location.hash || '#/calls');
  main.replaceChildren(current.root);
  const section = location.hash.split('/')[1] ?? 'calls';
  for (const link of document.querySelectorAll<HTMLAnchorElement>('nav a'))
    link.toggleAttribute('aria-current', link.hash === `#/${section}`);
}

window.addEventListener('hashchange', () => {
  show();
  main.focus();
});
show();
