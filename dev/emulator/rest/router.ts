/**
 * The emulator's HTTP side: Basic auth, the form body, a route table, and Twilio-shaped JSON
 * errors. Resources (calls.ts, messages.ts, numbers.ts, recordings.ts, tools.ts) bring routes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { readLimited } from '../../readLimited';
import type { Form } from './params';
import { API_VERSION } from '../interpreter/twilioApi';
import { TwilioApiError } from './resources';
import type { EmulatorState } from './state';

export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  form: Form;
  /** The pattern's capture groups after the account SID: the resource SIDs. */
  sids: string[];
}

export type ApiResponse =
  { status: number; json: unknown } | { status: number; body: Buffer | string; type: string } | { status: 204 };

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** Matched against the path; for the REST API the first group is the account SID. */
  pattern: RegExp;
  /** Also open to the console's phone: its token (`Authorization: Bearer …`) instead of Basic auth, from a page on this machine (CORS). */
  phone?: true;
  handle(request: ApiRequest): ApiResponse | Promise<ApiResponse>;
}

const MAX_BODY_BYTES = 64 * 1024;

/** A path pattern under /2010-04-01/Accounts/{AccountSid}, e.g. api('/Calls/(CA\\w+)\\.json'). */
export const api = (rest: string) => new RegExp(`^/${API_VERSION}/Accounts/([^/]+)${rest}$`);

export const notFound = (path: string) =>
  new TwilioApiError(404, 20404, `The requested resource ${path} was not found`);

export function createRouter(state: EmulatorState, routes: Route[]): Server {
  const basic = Buffer.from(`Basic ${Buffer.from(`${state.accountSid}:${state.authToken}`).toString('base64')}`);
  const bearer = Buffer.from(`Bearer ${state.phoneToken}`);
  const matches = (given: Buffer, expected: Buffer) =>
    given.length === expected.length && timingSafeEqual(given, expected);
  const phoneRoute = (path: string) => routes.some((route) => route.phone && route.pattern.test(path));
  const authenticated = (req: IncomingMessage, path: string) => {
    const given = Buffer.from(req.headers.authorization ?? '');
    return matches(given, basic) || (matches(given, bearer) && phoneRoute(path));
  };

  const answer = async (req: IncomingMessage, res: ServerResponse) => {
    const target = new URL(req.url ?? '/', 'http://emulator');
    const cors = phoneRoute(target.pathname) ? corsHeaders(req.headers.origin) : {};
    for (const [name, value] of Object.entries(cors)) res.setHeader(name, value);
    if (req.method === 'OPTIONS' && 'Access-Control-Allow-Origin' in cors) {
      res.writeHead(204).end();
      return;
    }
    let response: ApiResponse;
    try {
      const body = await readBody(req);
      if (!authenticated(req, target.pathname)) {
        res.setHeader('WWW-Authenticate', 'Basic realm="Twilio API"');
        throw new TwilioApiError(401, 20003, 'Authenticate');
      }
      response = await dispatch(state, routes, req.method ?? 'GET', target, body);
    } catch (error) {
      const failure =
        error instanceof TwilioApiError
          ? error
          : new TwilioApiError(
              500,
              20500,
              `Internal emulator error: ${error instanceof Error ? error.message : String(error)}`,
            );
      response = { status: failure.status, json: failure };
    }
    if ('json' in response)
      res
        .writeHead(response.status, { 'Content-Type': 'application/json; charset=utf-8' })
        .end(JSON.stringify(response.json));
    else if ('body' in response) res.writeHead(response.status, { 'Content-Type': response.type }).end(response.body);
    else res.writeHead(response.status).end();
    state.log(`${req.method} ${target.pathname} ${response.status}`);
  };
  return createServer((req, res) => void answer(req, res));
}

/** The console's phone runs in a page of the local app: only an origin on this machine may read the answers. */
function corsHeaders(origin: string | undefined): Record<string, string> {
  if (!origin || !/^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(origin)) return {};
  return {
    'Access-Control-Allow-Origin': origin,
    'Access-Control-Allow-Methods': 'GET, POST',
    'Access-Control-Allow-Headers': 'Authorization, Content-Type',
    'Access-Control-Max-Age': '600',
    Vary: 'Origin',
  };
}

async function dispatch(
  state: EmulatorState,
  routes: Route[],
  method: string,
  target: URL,
  body: string,
): Promise<ApiResponse> {
  const path = target.pathname;
  const matching = routes
    .map((route) => ({ route, match: route.pattern.exec(path) }))
    .filter((found) => found.match !== null);
  if (matching.length === 0) throw notFound(path);
  const found = matching.find(({ route }) => route.method === method);
  if (!found) throw new TwilioApiError(405, 20004, 'Method not allowed');
  const [, ...groups] = found.match!;
  const isApi = path.startsWith(`/${API_VERSION}/`);
  if (isApi && groups[0] !== state.accountSid) throw notFound(path);
  const form: Form = new Map();
  for (const [key, value] of method === 'POST' ? new URLSearchParams(body) : target.searchParams)
    form.set(key, [...(form.get(key) ?? []), value]);
  return found.route.handle({ method, path, query: target.searchParams, form, sids: isApi ? groups.slice(1) : groups });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const body = await readLimited(req, MAX_BODY_BYTES);
  if (!body) throw new TwilioApiError(413, 20001, 'Request body too large');
  return body.toString('utf8');
}
