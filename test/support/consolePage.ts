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
import { ROOT } from './appHost';

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
