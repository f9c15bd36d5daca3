/**
 * A local stand-in for the Azure Functions host, for machines without Core Tools.
 *
 * In Azure the Node worker hands `@azure/functions` a module named `@azure/functions-core`,
 * and `app.http(...)` registers each function through it. This host provides that module,
 * so it serves exactly what the function files register: there is no second route table.
 * Queue- and timer-triggered registrations are run by queueHost.ts and timerHost.ts.
 */
import type { LogLine } from './logLine';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Module from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { atTime } from '../lib/config/clock';
import { getSettings } from '../lib/config/settings';
import { timeIn } from '../lib/flows/hours';
import { getFlows } from '../lib/flows/load';
import { EMULATOR_TIME_HEADER } from './emulator/interpreter/webhook';
import { readLimited } from './readLimited';
import type { QueueFunction } from './queueHost';
import type { TimerFunction } from './timerHost';
import {
  HttpRequest,
  HttpResponse,
  InvocationContext,
  type HttpHandler,
  type HttpResponseInit,
} from '@azure/functions';

export interface HttpFunction {
  name: string;
  route: string;
  methods: string[];
  authLevel: string;
  handler: HttpHandler;
}

interface CoreBinding {
  type: string;
  direction?: string;
  route?: string;
  methods?: string[];
  authLevel?: string;
  queueName?: string;
  connection?: string;
  schedule?: string;
  runOnStartup?: boolean;
}

const registered = new Map<string, HttpFunction>();
const queueFunctions = new Map<string, QueueFunction>();
const timerFunctions = new Map<string, TimerFunction>();

/** Each kind of trigger this host runs, with what it keeps of the registration. */
function register(name: string, trigger: CoreBinding, handler: (...args: never[]) => unknown): () => void {
  if (registered.has(name) || queueFunctions.has(name) || timerFunctions.has(name))
    throw new Error(`A function named ${name} is already registered`);
  if (trigger.type === 'httpTrigger') {
    registered.set(name, {
      name,
      route: trigger.route ?? name,
      methods: (trigger.methods ?? ['GET', 'POST']).map((method) => method.toUpperCase()),
      authLevel: trigger.authLevel ?? 'anonymous',
      handler: handler as HttpHandler,
    });
    return () => registered.delete(name);
  }
  if (trigger.type === 'queueTrigger' && trigger.queueName) {
    const connection = trigger.connection ?? 'AzureWebJobsStorage';
    queueFunctions.set(name, { name, queueName: trigger.queueName, connection, handler: handler as never });
    return () => queueFunctions.delete(name);
  }
  if (trigger.type === 'timerTrigger' && trigger.schedule) {
    const runOnStartup = trigger.runOnStartup ?? false;
    timerFunctions.set(name, { name, schedule: trigger.schedule, runOnStartup, handler: handler as never });
    return () => timerFunctions.delete(name);
  }
  throw new Error(`${name}: the local host runs HTTP, queue and timer triggers, not ${trigger.type}`);
}

const coreApi = {
  version: 'local',
  setProgrammingModel() {},
  getProgrammingModel() {
    return undefined;
  },
  registerHook() {
    return { dispose() {} };
  },
  log() {},
  registerFunction(
    metadata: { name: string; bindings: Record<string, CoreBinding> },
    handler: (...args: never[]) => unknown,
  ) {
    const trigger = Object.values(metadata.bindings).find((binding) => binding.type.endsWith('Trigger'));
    if (!trigger) throw new Error(`${metadata.name}: no trigger binding`);
    return { dispose: register(metadata.name, trigger, handler) };
  },
};

let installed = false;

/** Makes `require('@azure/functions-core')` answer with this host, as the Functions worker does. */
export function installCoreApi(): void {
  if (installed) return;
  installed = true;
  const loader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const load = loader._load;
  loader._load = function (request: string, ...rest: unknown[]) {
    return request === '@azure/functions-core' ? coreApi : load.call(this, request, ...rest);
  };
}

/** The HTTP functions registered so far, in registration order. */
export function registeredFunctions(): HttpFunction[] {
  return [...registered.values()];
}

/** The queue- and timer-triggered functions registered so far. */
export function registeredTriggers(): { queues: QueueFunction[]; timers: TimerFunction[] } {
  return { queues: [...queueFunctions.values()], timers: [...timerFunctions.values()] };
}

/** The files the Functions host loads: package.json `main`, a path whose file name may hold `*`. */
export function functionFiles(root: string): string[] {
  const { main } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main: string };
  const pattern = resolve(root, main);
  const folder = dirname(pattern);
  const name = new RegExp(
    `^${pattern
      .slice(folder.length + 1)
      .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')}$`,
  );
  return readdirSync(folder)
    .filter((file) => name.test(file))
    .sort()
    .map((file) => join(folder, file));
}

/** Loads function files (as the Functions host does) and answers what they registered. */
export async function loadFunctions(files: string[]): Promise<HttpFunction[]> {
  installCoreApi();
  for (const file of files) await import(file);
  return registeredFunctions();
}

/** The app in `root` as the Functions host serves it: the files package.json names, under host.json's route prefix. */
export async function serveApp(
  root: string,
  options: Omit<HostOptions, 'functions' | 'prefix'> = {},
): Promise<RunningHost & { functions: HttpFunction[]; prefix: string }> {
  const functions = await loadFunctions(functionFiles(root));
  const prefix = routePrefix(root);
  return { functions, prefix, ...(await startHost({ ...options, functions, prefix })) };
}

export function routePrefix(root: string): string {
  const host = JSON.parse(readFileSync(join(root, 'host.json'), 'utf8')) as {
    extensions?: { http?: { routePrefix?: string } };
  };
  return host.extensions?.http?.routePrefix ?? 'api';
}

/** Matches `calls/{sid}`-style templates (case-insensitive literals, `{name?}` optional, `{name:constraint}`). */
export function matchRoute(template: string, path: string): Record<string, string> | undefined {
  const want = template.split('/').filter(Boolean);
  const got = path.split('/').filter(Boolean);
  const params: Record<string, string> = {};
  for (let i = 0; i < Math.max(want.length, got.length); i++) {
    const segment = want[i];
    const value = got[i];
    if (segment === undefined) return undefined;
    const param = /^\{\*?([^}:?]+)(?::[^}?]+)?(\?)?\}$/.exec(segment);
    if (param) {
      if (value === undefined) {
        if (param[2]) continue;
        return undefined;
      }
      const decoded = decodeSegment(value);
      if (decoded === undefined) return undefined;
      params[param[1]!] = decoded;
    } else if (value === undefined || segment.toLowerCase() !== value.toLowerCase()) {
      return undefined;
    }
  }
  return params;
}

export type { LogLine } from './logLine';

export interface HostOptions {
  functions: HttpFunction[];
  prefix?: string;
  host?: string;
  port?: number;
  log?: LogLine;
  /**
   * Run each request at the time its X-Emulator-Time header names (the local emulator sends it
   * for `simulate --at` and `startPhone({ now })`): only for a local Twilio, never real callers.
   */
  clock?: boolean;
  /**
   * Check function keys as Azure does: a function whose authLevel is not anonymous answers 401
   * unless the request carries this key (`?code=` or `x-functions-key`). Unset, as with
   * `func start`, no key is needed. `LOCAL_FUNCTION_KEY` sets it for npm start.
   */
  functionKey?: string | undefined;
}

export interface RunningHost {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export const consoleLog: LogLine = (level, functionName, message) => {
  const line = `[${new Date().toISOString()}] ${functionName}: ${message}`;
  if (level === 'error') console.error(line);
  else if (level === 'warning') console.warn(line);
  else console.log(line);
};

/** Serves the functions over HTTP like the Functions host: same routes, methods, status codes, headers and bodies. */
export async function startHost(options: HostOptions): Promise<RunningHost> {
  const prefix = (options.prefix ?? 'api').replace(/^\/|\/$/g, '');
  const log = options.log ?? consoleLog;

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const url = requestUrl(req);
    if (!url) return refuse(res, 400, 'Invalid Host header or request path');
    const method = (req.method ?? 'GET').toUpperCase();
    const admin = /^\/admin\/functions\/([A-Za-z0-9_-]+)$/.exec(url.pathname);
    if (admin && method === 'POST') return runTimerOnce(admin[1]!, req, res, options);
    const found = find(method, url.pathname);
    if (!found) return refuse(res, 404);
    const body = await readLimited(req, MAX_REQUEST_BYTES);
    if (!body) return refuse(res, 413, `Request body is larger than ${MAX_REQUEST_BYTES / 1024 / 1024} MiB`);
    const { fn, params } = found;
    if (!keyAccepted(options.functionKey, fn, req, url)) return refuse(res, 401);
    const context = new InvocationContext({
      invocationId: randomUUID(),
      functionName: fn.name,
      logHandler: (level, ...args) => log(level, fn.name, args.map(String).join(' ')),
    });
    const request = new HttpRequest({
      method,
      url: url.toString(),
      headers: trustedHeaders(req),
      query: Object.fromEntries(url.searchParams),
      params,
      ...(body.length && method !== 'GET' && method !== 'HEAD' ? { body: { bytes: body } } : {}),
    });
    let response: HttpResponse;
    try {
      const at = options.clock ? requestTime(req) : undefined;
      response = await (at
        ? atTime(at, () => responseOf(fn.handler, request, context))
        : responseOf(fn.handler, request, context));
    } catch (error) {
      log(
        'error',
        fn.name,
        `Function threw: ${JSON.stringify(error instanceof Error ? error.message : String(error))}`,
      );
      res.writeHead(500).end();
      return;
    }
    await writeResponse(res, response);
  };

  const find = (method: string, path: string) => {
    const rest = prefix ? stripPrefix(path, `/${prefix}`) : path;
    if (rest === undefined) return undefined;
    for (const fn of options.functions) {
      const params = matchRoute(fn.route, rest);
      if (params && fn.methods.includes(method)) return { fn, params };
    }
    return undefined;
  };

  // Slow or stalled clients are cut off well before Node's 300 s default (checked every second).
  const server = createServer(
    { headersTimeout: 10_000, requestTimeout: 30_000, connectionsCheckingInterval: 1_000 },
    (req, res) => {
      serve(req, res).catch((error: unknown) => {
        log(
          'error',
          'host',
          `Request failed: ${JSON.stringify(error instanceof Error ? error.message : String(error))}`,
        );
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    },
  );
  return listening(server, options);
}

/**
 * `POST /admin/functions/<name>`: the Functions host's way to run a function that is not
 * HTTP-triggered once, now (here, a timer: 202 once it has run, 404 for another name). With the
 * clock on, it runs at the request's X-Emulator-Time, so `simulate converse` can play a timeout.
 */
async function runTimerOnce(name: string, req: IncomingMessage, res: ServerResponse, options: HostOptions) {
  const timer = timerFunctions.get(name);
  if (!timer) return refuse(res, 404, `No timer-triggered function ${name}`);
  const url = requestUrl(req);
  if (!url || !keyAccepted(options.functionKey, { authLevel: 'admin' } as HttpFunction, req, url))
    return refuse(res, 401);
  const log = options.log ?? consoleLog;
  const context = new InvocationContext({
    invocationId: randomUUID(),
    functionName: name,
    logHandler: (level, ...args) => log(level, name, args.map(String).join(' ')),
  });
  const at = (options.clock ? requestTime(req) : undefined) ?? new Date();
  const timerInfo = { isPastDue: false, schedule: { adjustForDST: false } };
  try {
    await atTime(at, () => timer.handler(timerInfo as never, context));
  } catch (error) {
    log('error', name, `Executed (failed): ${error instanceof Error ? error.message : String(error)}`);
    return refuse(res, 500, `${name} failed`);
  }
  res.writeHead(202).end();
}

/** What the Functions host makes of a handler's answer: an HttpResponse, whichever form the handler returned. */
export async function responseOf(
  handler: HttpHandler,
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponse> {
  const result = await handler(request, context);
  return result instanceof HttpResponse ? result : new HttpResponse((result ?? {}) as HttpResponseInit);
}

async function writeResponse(res: ServerResponse, response: HttpResponse): Promise<void> {
  const payload = Buffer.from(await response.arrayBuffer());
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  res.writeHead(response.status, headers).end(payload);
}

/** The server listening where the options say (a free port on 127.0.0.1 by default), and how to stop it. */
async function listening(server: Server, options: Pick<HostOptions, 'port' | 'host'>): Promise<RunningHost> {
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => done());
  });
  const address = server.address() as AddressInfo;
  const hostName = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${hostName}:${address.port}`,
    server,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

function keyAccepted(key: string | undefined, fn: HttpFunction, req: IncomingMessage, url: URL): boolean {
  if (key === undefined || fn.authLevel === 'anonymous') return true;
  const given = url.searchParams.get('code') ?? req.headers['x-functions-key'];
  if (typeof given !== 'string') return false;
  const [a, b] = [Buffer.from(given), Buffer.from(key)];
  return a.length === b.length && timingSafeEqual(a, b);
}

function stripPrefix(path: string, prefix: string): string | undefined {
  if (path.toLowerCase() === prefix.toLowerCase()) return '/';
  return path.toLowerCase().startsWith(`${prefix.toLowerCase()}/`) ? path.slice(prefix.length) : undefined;
}

const decodeSegment = (value: string): string | undefined => {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
};

/** The Functions host refuses far larger bodies than any of ours; this keeps a local run's memory small. */
export const MAX_REQUEST_BYTES = 1024 * 1024;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;
const isLoopbackPeer = (req: IncomingMessage) => LOOPBACK.test(req.socket.remoteAddress ?? '');

/**
 * The URL as requested. From a loopback peer (this machine: a browser, curl, a local tunnel)
 * the Host header names it; from anyone else the address they actually reached does, so a
 * remote sender cannot choose the URL a signature is checked against. Undefined when the
 * Host header or the path cannot form a URL.
 */
export function requestUrl(req: IncomingMessage): URL | undefined {
  const local = req.socket.localAddress ?? '127.0.0.1';
  const host =
    isLoopbackPeer(req) && req.headers.host
      ? req.headers.host
      : `${local.includes(':') ? `[${local}]` : local}:${req.socket.localPort}`;
  try {
    const url = new URL(req.url ?? '/', `http://${host}`);
    decodeURIComponent(url.pathname);
    // `Host: user@example.com` parses as credentials, which no request URL may carry.
    return url.username || url.password ? undefined : url;
  } catch {
    return undefined;
  }
}

/** Request headers as the function sees them: forwarded headers only from a loopback peer (a local tunnel), like a trusted front end. */
export function trustedHeaders(req: IncomingMessage): Record<string, string> {
  const headers = flattenHeaders(req);
  if (!isLoopbackPeer(req)) {
    for (const name of Object.keys(headers))
      if (name.startsWith('x-forwarded-') || name === 'forwarded') delete headers[name];
  }
  return headers;
}

/** The time a local emulator says the call or text happens at, if it says one; without an offset, in the flow's time zone. */
function requestTime(req: IncomingMessage): Date | undefined {
  const value = req.headers[EMULATOR_TIME_HEADER.toLowerCase()];
  if (typeof value !== 'string') return undefined;
  let zone = 'UTC';
  try {
    zone = getFlows(getSettings()).hours?.timeZone ?? zone;
  } catch {
    // Settings or a flow file that do not load: the function answers that; the time is read as UTC.
  }
  return timeIn(value, zone);
}

function refuse(res: ServerResponse, status: number, error?: string): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', connection: 'close' });
  res.end(error ? JSON.stringify({ error }) : undefined);
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}
