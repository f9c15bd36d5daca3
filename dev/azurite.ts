/**
 * Azurite, the storage emulator, run from the project's own dependencies: `npm start` runs all
 * three services on their default ports (or those AZURITE_PORT_BASE names) with data on disk; tests
 * run what the app uses (tables and queues; blob idles on a port of its own), in memory or on
 * disk, on free ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';

/** Azurite's well-known development account: public, documented, and accepted by Azurite only. */
const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
export interface AzuritePorts {
  blob: number;
  queue: number;
  table: number;
}
/** Azurite's own defaults, which `UseDevelopmentStorage=true` means. */
export const AZURITE_PORTS: Readonly<AzuritePorts> = { blob: 10000, queue: 10001, table: 10002 };

const HOST = '127.0.0.1';
const AZURITE = join(require.resolve('azurite/package.json'), '..', 'dist', 'src');
// Ends Azurite when the process that started it goes away, so a crashed test run leaves nothing behind.
const WATCHDOG = `data:text/javascript,${encodeURIComponent(
  'const parent = process.ppid; setInterval(() => { try { process.kill(parent, 0); } catch { process.exit(0); } }, 1000).unref();',
)}`;

export interface AzuriteOptions {
  /** `app`: tables and queues on free ports (tests); `all`: blob, queue and table on the default ports (npm start). */
  services: 'app' | 'all';
  /** Where data lives; in memory when absent. */
  location?: string;
  /** The table port; 0 or absent picks a free one (`all` uses `ports`). */
  tablePort?: number;
  /** `all` only: the three ports, Azurite's defaults when absent. */
  ports?: AzuritePorts;
}

export interface RunningAzurite {
  /** The Azurite process, for tests that freeze it (SIGSTOP) to play storage that stops answering. */
  pid: number;
  tableEndpoint: string;
  queueEndpoint: string;
  connectionString: string;
  stop(): Promise<void>;
}

const connectionStringFor = (tableEndpoint: string, queueEndpoint: string) =>
  `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_ACCOUNT_KEY};TableEndpoint=${tableEndpoint};QueueEndpoint=${queueEndpoint};`;

/** What `UseDevelopmentStorage=true` stands for, on other ports: the development account with each endpoint. */
export const developmentConnectionString = (ports: AzuritePorts) =>
  `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_ACCOUNT_KEY};` +
  `BlobEndpoint=http://${HOST}:${ports.blob}/${DEV_ACCOUNT};QueueEndpoint=http://${HOST}:${ports.queue}/${DEV_ACCOUNT};` +
  `TableEndpoint=http://${HOST}:${ports.table}/${DEV_ACCOUNT};`;

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, HOST, done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (!address || typeof address === 'string') throw new Error('could not find a free port');
  return address.port;
}

/** True when something accepts connections on the port. */
export function isListening(port: number, host = HOST): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

export async function startAzurite(options: AzuriteOptions): Promise<RunningAzurite> {
  const all = options.services === 'all';
  const ports = options.ports ?? AZURITE_PORTS;
  const tablePort = all ? (options.tablePort ?? ports.table) : options.tablePort || (await freePort());
  const queuePort = all ? ports.queue : await freePort();
  const blobPort = all ? ports.blob : await freePort();
  const args = [
    join(AZURITE, 'azurite.js'),
    '--silent',
    '--disableTelemetry',
    '--skipApiVersionCheck',
    ...(options.location ? ['--location', options.location] : ['--inMemoryPersistence']),
    ...['--blobHost', HOST, '--blobPort', String(blobPort)],
    ...['--queueHost', HOST, '--queuePort', String(queuePort)],
    ...['--tableHost', HOST, '--tablePort', String(tablePort)],
  ];
  const child = spawn(process.execPath, ['--import', WATCHDOG, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  await waitUntilListening(child, tablePort, output);
  await waitUntilListening(child, queuePort, output);
  const tableEndpoint = `http://${HOST}:${tablePort}/${DEV_ACCOUNT}`;
  const queueEndpoint = `http://${HOST}:${queuePort}/${DEV_ACCOUNT}`;
  return {
    pid: child.pid!,
    tableEndpoint,
    queueEndpoint,
    connectionString: all ? developmentConnectionString(ports) : connectionStringFor(tableEndpoint, queueEndpoint),
    stop: () => stopProcess(child),
  };
}

async function waitUntilListening(child: ChildProcess, port: number, output: string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  while (!(await isListening(port))) {
    if (exited !== undefined)
      throw new Error(`Azurite exited (${exited}) before listening on ${port}: ${output.join('').trim()}`);
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`Azurite did not listen on ${port} within 30 s: ${output.join('').trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** SIGINT lets Azurite close its database cleanly, so no write is lost; a hard kill follows if it hangs. */
function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  child.kill('SIGCONT');
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill('SIGINT');
  });
}
