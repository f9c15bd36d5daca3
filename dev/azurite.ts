/**
 * Azurite, the storage emulator, run from the project's own dependencies: `npm start` runs all
 * three services on their default ports (or those AZURITE_PORT_BASE names) with data on disk; tests
 * run what the app uses (tables and queues; blob idles on a port of its own), in memory or on
 * disk, on free ports.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
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
  /** `app`: tables and queues on ports Azurite picks (tests); `all`: blob, queue and table on the default ports (npm start). */
  services: 'app' | 'all';
  /** Where data lives; in memory when absent. */
  location?: string;
  /** The table port; 0 or absent lets Azurite pick a free one (`all` uses `ports`). */
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
  const given = options.ports ?? AZURITE_PORTS;
  const asked = all
    ? { ...given, table: options.tablePort ?? given.table }
    : { blob: 0, queue: 0, table: options.tablePort ?? 0 };
  const args = [
    join(AZURITE, 'azurite.js'),
    '--silent',
    '--disableTelemetry',
    '--skipApiVersionCheck',
    ...(options.location ? ['--location', options.location] : ['--inMemoryPersistence']),
    ...['--blobHost', HOST, '--blobPort', String(asked.blob)],
    ...['--queueHost', HOST, '--queuePort', String(asked.queue)],
    ...['--tableHost', HOST, '--tablePort', String(asked.table)],
  ];
  const child = spawn(process.execPath, ['--import', WATCHDOG, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const ports = await boundPorts(child);
  const tableEndpoint = `http://${HOST}:${ports.table}/${DEV_ACCOUNT}`;
  const queueEndpoint = `http://${HOST}:${ports.queue}/${DEV_ACCOUNT}`;
  return {
    pid: child.pid!,
    tableEndpoint,
    queueEndpoint,
    connectionString: all ? developmentConnectionString(ports) : connectionStringFor(tableEndpoint, queueEndpoint),
    stop: () => stopProcess(child),
  };
}

const LISTENING = /Azurite (Blob|Queue|Table) service is successfully listening at http:\/\/[^\s:]+:(\d+)/g;

/**
 * The ports this Azurite says it bound. Its own word, not a probe of the port: a port picked
 * beforehand can be taken by another process before Azurite binds it, and a probe would then
 * find that other process listening and report success.
 */
function boundPorts(child: ChildProcess): Promise<AzuritePorts> {
  return new Promise((resolve, reject) => {
    let output = '';
    const bound: Partial<AzuritePorts> = {};
    let settled = false;
    const timer = setTimeout(() => fail('did not listen within 30 s'), 30_000);
    const settle = () => {
      settled = true;
      clearTimeout(timer);
      child.off('exit', exited);
    };
    function fail(why: string) {
      settle();
      child.kill();
      reject(new Error(`Azurite ${why}: ${output.trim()}`));
    }
    function exited(code: number | null) {
      fail(`exited (${code}) before listening`);
    }
    function read(chunk: Buffer) {
      if (settled) return;
      output += chunk.toString();
      for (const [, service, port] of output.matchAll(LISTENING))
        bound[service!.toLowerCase() as keyof AzuritePorts] = Number(port);
      if (bound.blob && bound.queue && bound.table) {
        settle();
        resolve({ blob: bound.blob, queue: bound.queue, table: bound.table });
      }
    }
    child.stdout?.on('data', read);
    child.stderr?.on('data', (chunk: Buffer) => {
      if (!settled) output += chunk.toString();
    });
    child.once('exit', exited);
  });
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
