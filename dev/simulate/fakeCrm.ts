/**
 * `npm run simulate -- fake-crm`: the CRM that flows/examples/crm-lookup.json asks, served on
 * 127.0.0.1, so the example runs under `npm start` with no CRM of your own. It writes a copy of
 * the example whose CRM origin is this server (`.local/flows/crm-lookup.json`; the example
 * itself names https://crm.example.com) and answers `GET /customers?phone=<caller>` by who calls:
 * a VIP, a known customer, an unknown caller, or a CRM that is down or hangs, so each path of
 * the example can be tried with `simulate call --from <number>`. Stopping it (Ctrl-C) is the
 * CRM down for every caller.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { CommandError } from '../cli/args';
import { EXIT } from '../cli/command';
import { alignRows, Printer, type Io } from '../cli/output';

export const CRM_EXAMPLE = 'flows/examples/crm-lookup.json';
/** Where the copy pointed at the fake goes, relative to the checkout: PHONE_FLOWS names it. */
export const CRM_FLOW_COPY = '.local/flows/crm-lookup.json';
const EXAMPLE_ORIGIN = 'https://crm.example.com';
/** The port it listens on unless --port says otherwise: next to the app's 7071 and the emulator's. */
export const FAKE_CRM_PORT = 7079;
const HANG_MS = 30_000;

type Behaviour =
  { kind: 'customer'; json: Record<string, string> } | { kind: 'down' } | { kind: 'hangs' } | { kind: 'error' };

/** Who calls, and what the CRM does for them; any other number is unknown (404). */
export const FAKE_CRM_CALLERS: Record<string, { what: string; behaviour: Behaviour }> = {
  '+15550100302': {
    what: 'VIP Ada, put through to Alice',
    behaviour: { kind: 'customer', json: { name: 'Ada', tier: 'vip', manager: 'alice' } },
  },
  '+15550100303': {
    what: 'VIP Alan, put through to Bob',
    behaviour: { kind: 'customer', json: { name: 'Alan', tier: 'vip', manager: 'bob' } },
  },
  '+15550100301': {
    what: 'Grace, greeted by name, then the menu',
    behaviour: { kind: 'customer', json: { name: 'Grace', tier: 'standard' } },
  },
  '+15550100304': { what: 'the CRM drops the connection (down)', behaviour: { kind: 'down' } },
  '+15550100305': { what: 'the CRM hangs 30 s', behaviour: { kind: 'hangs' } },
  '+15550100306': { what: 'the CRM answers 500', behaviour: { kind: 'error' } },
};

export interface FakeCrm {
  url: string;
  /** The flow file to start the app with (absolute). */
  flowFile: string;
  close(): Promise<void>;
}

function answer(response: ServerResponse, socket: Socket, behaviour: Behaviour | undefined, hung: Set<Socket>) {
  const json = (status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };
  if (!behaviour) return json(404, { error: 'not found' });
  if (behaviour.kind === 'customer') return json(200, behaviour.json);
  if (behaviour.kind === 'error') return json(500, { error: 'the CRM failed' });
  if (behaviour.kind === 'down') return socket.destroy();
  hung.add(socket);
  setTimeout(() => {
    hung.delete(socket);
    if (!socket.destroyed) json(200, { name: 'Too late', tier: 'vip', manager: 'alice' });
  }, HANG_MS).unref();
}

/**
 * Serves the fake CRM on 127.0.0.1:`port` (0: any free port) and writes the example's copy under
 * `root`, pointed at it. `log` gets one line per request: what was asked and what it did.
 */
export async function startFakeCrm(root: string, port: number, log: (line: string) => void): Promise<FakeCrm> {
  const hung = new Set<Socket>();
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const phone = url.searchParams.get('phone') ?? '';
    const caller = url.pathname === '/customers' ? FAKE_CRM_CALLERS[phone] : undefined;
    const signed = request.headers['x-phone-line-signature'] ? ', signed' : '';
    const token = request.headers.authorization ? ', with a token' : ', no token';
    log(`${request.method} ${url.pathname}?phone=${phone}${token}${signed}: ${caller?.what ?? 'unknown, 404'}`);
    answer(response, request.socket, caller?.behaviour, hung);
  });
  await new Promise<void>((listening, failed) => {
    server.once('error', failed);
    server.listen(port, '127.0.0.1', () => listening());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const flowFile = join(root, CRM_FLOW_COPY);
  mkdirSync(join(flowFile, '..'), { recursive: true });
  const example = readFileSync(join(root, CRM_EXAMPLE), 'utf8');
  // Two folders down, like the example: its $schema (../../flows.schema.json) still finds the schema.
  writeFileSync(flowFile, example.split(EXAMPLE_ORIGIN).join(url));
  return {
    url,
    flowFile,
    close: () =>
      new Promise<void>((closed) => {
        for (const socket of hung) socket.destroy();
        server.close(() => closed());
        server.closeAllConnections();
      }),
  };
}

/** The command: serve until Ctrl-C, after saying how to start the app and whom to call as. */
export async function serveFakeCrm(io: Io, port: number): Promise<number> {
  const print = new Printer(io, false);
  const { paint } = print;
  const crm = await startFakeCrm(io.root, port, (line) => print.line(`${paint.dim('CRM')}      ${line}`)).catch(
    (error: unknown) => {
      const taken = (error as { code?: string }).code === 'EADDRINUSE';
      throw new CommandError(
        taken ? `port ${port} is taken: give another with --port` : `could not start: ${String(error)}`,
      );
    },
  );
  print.lines([
    `${paint.bold('Fake CRM')} ${crm.url} ${paint.dim('(Ctrl-C stops it: the CRM is then down for every caller)')}`,
    `${paint.bold('Flow')}     ${CRM_FLOW_COPY} ${paint.dim(`(${CRM_EXAMPLE} with its CRM here)`)}`,
    `${paint.bold('Start')}    PHONE_FLOWS=${CRM_FLOW_COPY} CRM_TOKEN=local-crm-token npm start`,
    `${paint.bold('Callers')}  npm run simulate -- call --from <number> [--digits 1]:`,
    ...alignRows(
      Object.entries(FAKE_CRM_CALLERS).map(([number, { what }]) => [number, what]),
      { indent: '           ' },
    ),
    `           any other number: unknown to the CRM (404), the menu`,
  ]);
  await new Promise<void>((stop) => {
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await crm.close();
  return EXIT.ok;
}
