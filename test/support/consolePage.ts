/**
 * The console page for a test, built into an app root of the test's own (AzureWebJobsScriptRoot):
 * the repository's host.json, flow files and hooks linked in, and its own dist/console/index.html.
 * So tests never rewrite the page a running `npm start` serves (which has the phone), and a test
 * of the phone gets a page pointed at its own emulator.
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConsole, type BuiltConsole, type ConsolePhone } from '../../dev/consoleBuild';
import { loadFunctions, routePrefix, startHost } from '../../dev/functionsHost';
import { functionSourceFiles, ROOT } from './appHost';
import { useSettings } from './settings';

const LINKED = ['host.json', 'flows.json', 'flows', 'hooks'];

export interface TestConsole extends BuiltConsole {
  /** Give it as AzureWebJobsScriptRoot to the app that serves the page. */
  root: string;
  remove(): void;
}

export async function buildTestConsole(phone?: ConsolePhone): Promise<TestConsole> {
  const root = mkdtempSync(join(tmpdir(), 'console-app-'));
  for (const name of LINKED) symlinkSync(join(ROOT, name), join(root, name));
  const built = await buildConsole(root, phone ? { phone } : {});
  return { ...built, root, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** The app on the local host serving a test console page, with function keys checked as in Azure (LOCAL_FUNCTION_KEY). */
export interface KeyedHost {
  url: string;
  console: TestConsole;
  close(): Promise<void>;
}

export async function startKeyedHost(key: string): Promise<KeyedHost> {
  const built = await buildTestConsole();
  try {
    useSettings({ AzureWebJobsScriptRoot: built.root });
    const functions = await loadFunctions(functionSourceFiles());
    const host = await startHost({ functions, prefix: routePrefix(ROOT), log: () => {}, functionKey: key });
    const close = async () => {
      await host.close();
      built.remove();
    };
    return { url: host.url, console: built, close };
  } catch (error) {
    built.remove();
    throw error;
  }
}
