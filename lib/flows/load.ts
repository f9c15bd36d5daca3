/**
 * The flow file of this process: read, validated and compiled once per path, on the first
 * request that needs it (a webhook's cold start pays for it once). An invalid file is refused
 * whole with every problem named by its path; it never half applies.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Settings } from '../config/settings';
import { AppError } from '../errors';
import { flowProblems, zodFlowProblems, type FlowProblem } from './check';
import { hookNames } from './hooks';
import { parseWithPositions } from './positions';
import { DEFAULT_FLOWS, flowFileSchema, type FlowFile } from './schema';

export const DEFAULT_FLOW_FILE = 'flows.json';

export class FlowFileError extends AppError {
  constructor(
    readonly file: string,
    readonly problems: FlowProblem[],
  ) {
    const message = `Invalid flow file ${file}:\n${problems.map((problem) => `  ${where(problem)}${problem.path}: ${problem.message}`).join('\n')}`;
    super(500, 'The flow file is invalid; see the log', { log: 'error', logMessage: message });
    this.name = 'FlowFileError';
  }

  /** One line per problem, as compilers write them: `flows.json:12:34: voice.steps.menu…: unknown step "sales"`. */
  get lines(): string[] {
    return this.problems.map((problem) => `${this.file}:${where(problem)} ${problem.path}: ${problem.message}`);
  }
}

const where = (problem: FlowProblem) => (problem.line ? `${problem.line}:${problem.column}:` : '');

/**
 * The app root: the folder with host.json (the function app's wwwroot in Azure, which the
 * Functions host names in AzureWebJobsScriptRoot), found upward from the working directory.
 */
export function appRoot(): string {
  const scriptRoot = process.env.AzureWebJobsScriptRoot;
  if (scriptRoot) return scriptRoot;
  const cwd = process.cwd();
  let root = roots.get(cwd);
  if (root === undefined) roots.set(cwd, (root = rootAbove(cwd)));
  return root;
}

function rootAbove(cwd: string): string {
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'host.json'))) return dir;
    if (dirname(dir) === dir) return cwd;
  }
}

/** appRoot by working directory: the search looks at the disk, and every webhook asks for its flows. */
const roots = new Map<string, string>();

/** Where the flow file is, and whether the settings named it (a named file must exist; the default may not). */
export function flowFileLocation(
  settings: Pick<Settings, 'PHONE_FLOWS'>,
  root = appRoot(),
): { path: string; shown: string; named: boolean } {
  const path = resolve(root, settings.PHONE_FLOWS ?? DEFAULT_FLOW_FILE);
  const shown = isAbsolute(settings.PHONE_FLOWS ?? '') ? path : relative(root, path) || path;
  return { path, shown, named: settings.PHONE_FLOWS !== undefined };
}

/** What a flow file holds, in a line: `flows.json: voice 6 steps from "welcome"; messaging 3 rules`. */
export function describeFlows(settings: Pick<Settings, 'PHONE_FLOWS'>, root = appRoot()): string {
  const location = flowFileLocation(settings, root);
  const flows = getFlows(settings, root);
  const source = flows === DEFAULT_FLOWS ? `the built-in default (no ${location.shown})` : location.shown;
  const voice = flows.voice
    ? `voice ${Object.keys(flows.voice.steps).length} step(s) from "${flows.voice.entry}"`
    : 'voice: the greeting';
  const messaging = flows.messaging
    ? `messaging ${flows.messaging.rules.length} rule(s)${flows.messaging.reply ? ' and a default reply' : ''}`
    : 'messaging: the reply';
  return `${source}: ${voice}; ${messaging}`;
}

/** Reads and checks a flow file; throws FlowFileError naming every problem, with its line and column. */
export function readFlowFile(path: string, shown = path, root = appRoot()): FlowFile {
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : String(error);
    throw new FlowFileError(shown, [{ path: '(the file)', message: reason }]);
  }
  const hooks = hookNames(root);
  const checked = checkedFlows(root)[checkedName(path, root)];
  if (checked?.sha256 === checkedHash(source, hooks)) return checked.flows;
  const { value: json, syntax, locate } = parseWithPositions(source);
  if (syntax.length) throw new FlowFileError(shown, syntax);
  const parsed = flowFileSchema.safeParse(json);
  if (!parsed.success) throw new FlowFileError(shown, zodFlowProblems(parsed.error, json).map(locate));
  const problems = flowProblems(parsed.data, { hooks });
  if (problems.length) throw new FlowFileError(shown, problems.map(locate));
  return parsed.data;
}

/**
 * The flow files `npm run package` checked, in the package beside main.mjs: by path under the
 * app root, the hash of the file and hooks it checked, and the flows it read. The app runs a
 * file whose hash matches without building the flow schema (most of zod's share of a cold
 * start); a changed file, or hooks, is checked as any other. Locally there is none.
 */
export const CHECKED_FLOWS = 'flows.checked.json';
export type CheckedFlows = Record<string, { sha256: string; flows: FlowFile }>;

/** What a check saw: the file's text and the hooks it could name. */
export const checkedHash = (source: string, hooks: string[]): string =>
  createHash('sha256').update(source).update('\0').update(hooks.join('\n')).digest('hex');

/** A flow file's name in CHECKED_FLOWS: its path under the app root, with forward slashes. */
export const checkedName = (path: string, root: string): string => relative(root, path).split(sep).join('/');

const checkedByRoot = new Map<string, CheckedFlows>();

function checkedFlows(root: string): CheckedFlows {
  let checked = checkedByRoot.get(root);
  if (!checked) {
    try {
      checked = JSON.parse(readFileSync(join(root, CHECKED_FLOWS), 'utf8')) as CheckedFlows;
    } catch {
      checked = {}; // none (not packaged), or unreadable: every file is checked
    }
    checkedByRoot.set(root, checked);
  }
  return checked;
}

const loaded = new Map<string, FlowFile>();

/** The flows this process runs: the file the settings name, else flows.json, else the built-in default (the seed). */
export function getFlows(settings: Pick<Settings, 'PHONE_FLOWS'>, root = appRoot()): FlowFile {
  const location = flowFileLocation(settings, root);
  let flows = loaded.get(location.path);
  if (!flows) {
    flows =
      !location.named && !existsSync(location.path) ? DEFAULT_FLOWS : readFlowFile(location.path, location.shown, root);
    loaded.set(location.path, flows);
  }
  return flows;
}

/**
 * Reads the flow file again and, when it is valid, runs it from the next request on; an
 * invalid file is refused (its problems in the error) and the last good flows stay. Local
 * only: npm start calls it when the file changes; nothing deployed does (a deployment
 * replaces the file and restarts the app).
 */
export function reloadFlows(settings: Pick<Settings, 'PHONE_FLOWS'>, root = appRoot()): FlowFile {
  const location = flowFileLocation(settings, root);
  const flows =
    !location.named && !existsSync(location.path) ? DEFAULT_FLOWS : readFlowFile(location.path, location.shown, root);
  loaded.set(location.path, flows);
  return flows;
}
