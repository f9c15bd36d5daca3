/**
 * The documented API, read with the function key the page was opened with (`?code=…`, as Azure
 * takes it). The key is kept for this tab only and taken out of the address bar.
 */
const KEY = 'console.functionKey';

function functionKey(): string | null {
  const url = new URL(location.href);
  const given = url.searchParams.get('code');
  if (given) {
    sessionStorage.setItem(KEY, given);
    url.searchParams.delete('code');
    history.replaceState(null, '', url);
  }
  return sessionStorage.getItem(KEY);
}

const key = functionKey();

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** `calls/CA…` → /api/calls/CA…: relative to the page (/api/console), so the route prefix is the app's. */
const apiUrl = (path: string) => new URL(path, location.href);

async function get(path: string): Promise<Response> {
  const response = await fetch(apiUrl(path), { headers: key ? { 'x-functions-key': key } : {} });
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { error?: string };
    throw new ApiError(
      response.status,
      response.status === 401 || response.status === 403
        ? 'The app refused: open the console with its function key (?code=…)'
        : `${response.status}: ${body.error ?? response.statusText}`,
    );
  }
  return response;
}

export const getJson = async <T>(path: string): Promise<T> => (await get(path)).json() as Promise<T>;
export const getText = async (path: string): Promise<string> => (await get(path)).text();

/** A URL an <audio> element can fetch itself: it cannot send a header, so the key goes in the query. */
export function mediaUrl(path: string): string {
  const url = apiUrl(path);
  if (key) url.searchParams.set('code', key);
  return url.toString();
}

export interface RecordEvent {
  status: string;
  source: string;
  at: string;
  turn?: number;
  step?: string;
  digits?: string;
  speech?: string;
  dialed?: string;
  outcome?: string;
  rule?: string;
  recordingSid?: string;
  recordingUrl?: string;
  recordingDuration?: number;
  transcription?: string;
  [more: string]: unknown;
}

export interface CallOrMessage {
  sid: string;
  kind: 'call' | 'message';
  direction: 'inbound' | 'outbound';
  status: string;
  from?: string;
  to?: string;
  duration?: number;
  body?: string;
  mediaUrls?: string[];
  recordings?: string[];
  createdAt: string;
  updatedAt: string;
  events?: RecordEvent[];
  variables?: Record<string, unknown>;
  [more: string]: unknown;
}

export interface Page {
  items: CallOrMessage[];
  nextCursor: string | null;
}

export interface FlowNode {
  id: string;
  kind: 'entry' | 'step' | 'end' | 'messaging';
  step?: string;
  title: string;
  lines: string[];
  unreachable?: boolean;
  problems: string[];
}

export interface FlowGraph {
  file: string;
  nodes: FlowNode[];
  edges: Array<{ from: string; to: string; label: string }>;
  problems: Array<{ path: string; message: string }>;
}

/** Statuses a call or message leaves soon: the page polls while it shows one. */
export const LIVE = new Set([
  'queued',
  'initiated',
  'ringing',
  'in-progress',
  'accepted',
  'scheduled',
  'sending',
  'receiving',
]);

export const STATUSES = {
  call: ['queued', 'initiated', 'ringing', 'in-progress', 'completed', 'busy', 'no-answer', 'failed', 'canceled'],
  message: [
    'accepted',
    'queued',
    'sending',
    'sent',
    'receiving',
    'received',
    'delivered',
    'undelivered',
    'failed',
    'read',
  ],
} as const;
