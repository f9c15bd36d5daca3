/**
 * The Functions worker's stand-in for `npm run bench`: every row (the floor, the naive ports,
 * the package) is loaded and invoked through it, the same way. A stand-in
 * `@azure/functions-core` records what the app registers; the worker's import of the app's
 * entry (package.json `main` of a folder, or a module file); then each request goes through
 * the programming model's invocation model (request from RPC data, handler, response to RPC
 * data) as in the worker.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import Module from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readJob, runChild, runJob } from './protocol';

interface Binding {
  type: string;
  direction: string;
}
interface Registered {
  metadata: { name: string; bindings: Record<string, Binding> };
  handler: (...args: unknown[]) => unknown;
}
interface InvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], handler: Registered['handler']): Promise<unknown>;
  getResponse(
    context: unknown,
    result: unknown,
  ): Promise<{ returnValue?: { http?: { statusCode?: string; body?: { bytes?: Uint8Array; string?: string } } } }>;
}
interface ProgrammingModel {
  getInvocationModel(coreCtx: unknown): InvocationModel;
}

const registered = new Map<string, Registered>();
let model: ProgrammingModel | undefined;
const coreApi = {
  version: 'bench',
  setProgrammingModel: (programmingModel: ProgrammingModel) => (model = programmingModel),
  getProgrammingModel: () => model,
  registerHook: () => ({ dispose() {} }),
  log() {},
  registerFunction(metadata: Registered['metadata'], handler: Registered['handler']) {
    registered.set(metadata.name, { metadata, handler });
    return { dispose: () => registered.delete(metadata.name) };
  },
};

/** The worker answers require('@azure/functions-core') itself; so does this. */
function provideCoreApi(): void {
  const loader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const load = loader._load;
  loader._load = function (request: string, ...rest: unknown[]) {
    return request === '@azure/functions-core' ? coreApi : load.call(this, request, ...rest);
  };
}

/**
 * For a build with import marks (imports.ts): each module's top level calls these at its
 * start and end; the CPU between them, less that of modules it loaded meanwhile, is its own.
 */
function countModuleCpu(): void {
  const cpu = () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  const own: Record<string, number> = {};
  const open: Array<{ name: string; start: number; nested: number }> = [];
  Object.assign(globalThis, {
    benchModuleCpu: own,
    benchEnter: (name: string) => open.push({ name, start: cpu(), nested: 0 }),
    benchLeave: () => {
      const module = open.pop();
      if (!module) return;
      const spent = cpu() - module.start;
      own[module.name] = (own[module.name] ?? 0) + spent - module.nested;
      if (open.length) open[open.length - 1]!.nested += spent;
    },
  });
}

/** A folder's package.json `main`, as the worker finds it, or the module itself. */
function entryOf(app: string): string {
  if (!statSync(app).isDirectory()) return app;
  const { main } = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { main: string };
  return join(app, main);
}

runChild(async () => {
  const job = readJob();
  const app = process.argv[3]!;
  provideCoreApi();
  if (process.env.BENCH_MARKS === '1') countModuleCpu();
  await import(pathToFileURL(entryOf(app)).href);
  const sms = registered.get(job.webhook);
  if (!sms || !model) throw new Error(`${app} registered no ${job.webhook} through @azure/functions`);
  const trigger = Object.entries(sms.metadata.bindings).find(([, binding]) => binding.type === 'httpTrigger')![0];
  const invocations = model;
  await runJob(job, async (request) => {
    const invocation = invocations.getInvocationModel({
      invocationId: randomUUID(),
      metadata: sms.metadata,
      request: {
        inputData: [
          {
            name: trigger,
            data: {
              http: {
                method: 'POST',
                url: job.url,
                headers: {
                  'content-type': 'application/x-www-form-urlencoded',
                  'x-twilio-signature': request.signature,
                },
                body: { bytes: Buffer.from(request.body) },
                query: {},
                params: {},
              },
            },
          },
        ],
        triggerMetadata: {},
      },
      log() {},
    });
    const { context, inputs } = await invocation.getArguments();
    const result = await invocation.invokeFunction(context, inputs, sms.handler);
    const http = (await invocation.getResponse(context, result)).returnValue?.http;
    const body = http?.body?.bytes ? Buffer.from(http.body.bytes).toString('utf8') : (http?.body?.string ?? '');
    return { status: Number(http?.statusCode ?? 0), body };
  });
});
