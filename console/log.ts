/**
 * The call or message log: newest first, a page at a time with the API's cursor. Number and
 * direction filter in the API; status and date filter the rows the pages brought. The first
 * page is read again while a listed call is live, and now and then to show new ones.
 */
import { getJson, LIVE, STATUSES, type CallOrMessage, type Page } from './api';
import { h, time } from './dom';
import { every, type View } from './view';

type Kind = 'call' | 'message';

interface Filters {
  number: string;
  direction: string;
  status: string;
  date: string;
}

function filterForm(kind: Kind, filters: Filters, apply: () => void): HTMLFormElement {
  const field = (label: string, control: HTMLElement) => h('label', {}, label, control);
  const select = (name: keyof Filters, options: readonly string[]) =>
    h(
      'select',
      { name },
      h('option', { value: '' }, 'any'),
      ...options.map((option) => h('option', { value: option }, option)),
    );
  const form = h(
    'form',
    { class: 'filters', role: 'search' },
    field('Number', h('input', { name: 'number', type: 'tel', placeholder: '+15550100000', size: '16' })),
    field('Direction', select('direction', ['inbound', 'outbound'])),
    field('Status', select('status', STATUSES[kind])),
    field('Date', h('input', { name: 'date', type: 'date' })),
    h('button', { type: 'submit' }, 'Filter'),
  );
  for (const [name, value] of Object.entries(filters))
    (form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement).value = value;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form);
    for (const name of Object.keys(filters) as Array<keyof Filters>) filters[name] = String(data.get(name) ?? '');
    apply();
  });
  return form;
}

function row(kind: Kind, item: CallOrMessage): HTMLTableRowElement {
  return h(
    'tr',
    { 'data-sid': item.sid, class: LIVE.has(item.status) ? 'live' : undefined },
    h('td', {}, h('a', { href: `#/${kind}s/${item.sid}` }, time(item.createdAt))),
    h('td', {}, item.direction),
    h('td', {}, item.from ?? ''),
    h('td', {}, item.to ?? ''),
    h('td', { class: `status status-${item.status}` }, item.status),
    h('td', {}, kind === 'call' ? (item.duration !== undefined ? `${item.duration} s` : '') : (item.body ?? '')),
  );
}

const shown = (filters: Filters) => (item: CallOrMessage) =>
  (!filters.status || item.status === filters.status) &&
  (!filters.date || item.createdAt.slice(0, 10) === filters.date);

export function logView(kind: Kind): View {
  const filters: Filters = { number: '', direction: '', status: '', date: '' };
  let items: CallOrMessage[] = [];
  let cursor: string | null = null;
  const body = h('tbody');
  const more = h('button', { type: 'button', hidden: '' }, 'Older');
  const note = h('p', { class: 'note', role: 'status' });
  const query = (after?: string) => {
    const params = new URLSearchParams({ limit: '25' });
    if (filters.number) params.set('number', filters.number);
    if (filters.direction) params.set('direction', filters.direction);
    if (after) params.set('cursor', after);
    return `${kind}s?${params}`;
  };
  const render = () => {
    const visible = items.filter(shown(filters));
    body.replaceChildren(...visible.map((item) => row(kind, item)));
    more.hidden = cursor === null;
    note.textContent = visible.length
      ? ''
      : `No ${kind}s${items.length ? ' match the filters on the pages read' : ''}.`;
  };
  let pages = 0;
  const load = async (after?: string) => {
    const page = await getJson<Page>(query(after));
    if (after || pages <= 1) {
      items = after ? [...items, ...page.items] : page.items;
      cursor = page.nextCursor;
      if (after || pages === 0) pages += 1;
    } else {
      // Older pages were read: the first page's rows replace theirs, the others stay.
      const fresh = new Set(page.items.map((item) => item.sid));
      items = [...page.items, ...items.filter((item) => !fresh.has(item.sid))];
    }
    render();
  };
  more.addEventListener('click', () => void load(cursor ?? undefined).catch(show));
  const show = (error: unknown) => (note.textContent = error instanceof Error ? error.message : String(error));
  const root = h(
    'section',
    { 'aria-label': `${kind} log` },
    h('h1', {}, kind === 'call' ? 'Calls' : 'Messages'),
    filterForm(kind, filters, () => {
      items = [];
      pages = 0;
      void load().catch(show);
    }),
    h(
      'table',
      { class: 'log' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Created', 'Direction', 'From', 'To', 'Status', kind === 'call' ? 'Duration' : 'Body'].map((title) =>
            h('th', { scope: 'col' }, title),
          ),
        ),
      ),
      body,
    ),
    note,
    more,
  );
  void load().catch(show);
  const stop = every(
    () => (items.some((item) => LIVE.has(item.status)) ? 2_000 : 10_000),
    () => load().catch(show),
  );
  return { root, stop };
}
