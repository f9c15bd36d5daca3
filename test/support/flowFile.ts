import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FlowFile {
  /** The folder of its own it lives in, for other files a test writes beside it. */
  dir: string;
  /** flows.json in that folder: what PHONE_FLOWS names. */
  file: string;
  remove(): void;
}

/** A flow file of the test file's own, written once in a new temporary folder. */
export function writeFlowFile(prefix: string, flows: object): FlowFile {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const file = join(dir, 'flows.json');
  writeFileSync(file, JSON.stringify(flows));
  return { dir, file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A messaging rule that forwards a text with the keyword `urgent` to `to`, saying who sent it. */
export const forwardUrgentTo = (to: string) => ({
  keyword: 'urgent',
  forward: to,
  forwardText: 'From {{ trigger.message.From }}: {{ trigger.message.Body }}',
  reply: 'Passed on.',
});
