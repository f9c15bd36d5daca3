import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { watchFlowFile } from '../../dev/flowWatcher';
import { getFlows } from '../../lib/flows/load';

const root = mkdtempSync(join(tmpdir(), 'flow-watch-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const flowSaying = (text: string) =>
  JSON.stringify({ voice: { entry: 'hello', steps: { hello: { actions: [{ say: text }] } } } }, null, 2);
const said = () => JSON.stringify(getFlows({ PHONE_FLOWS: 'mine.json' }, root).voice?.steps.hello?.actions[0]);

async function until(done: () => boolean): Promise<void> {
  for (let waited = 0; !done(); waited += 50) {
    if (waited > 5000) throw new Error('nothing happened within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('npm start watching the flow file', () => {
  it('serves a changed file once it is valid, and keeps the last good one (printing why) while it is not', async () => {
    writeFileSync(join(root, 'mine.json'), flowSaying('first'));
    expect(said()).toBe('{"say":"first"}');
    const logs: string[] = [];
    const warnings: string[] = [];
    const watcher = watchFlowFile({ PHONE_FLOWS: 'mine.json' }, root, {
      log: (line) => logs.push(line),
      warn: (line) => warnings.push(line),
    });
    try {
      writeFileSync(join(root, 'mine.json'), flowSaying('second'));
      await until(() => logs.length > 0);
      expect(said()).toBe('{"say":"second"}');
      expect(logs[0]).toBe('Flows:   reloaded mine.json: voice 1 step(s) from "hello"; messaging: the reply');

      writeFileSync(join(root, 'mine.json'), flowSaying('third').replace('"hello": {', '"hello": { "extra": 1,'));
      await until(() => warnings.length > 0);
      expect(warnings[0]).toMatch(
        /^Flows: {3}mine\.json changed but is not valid; still serving the last good flows:\n {2}mine\.json:\d+:\d+: voice\.steps\.hello: has unknown "extra"$/,
      );
      expect(said()).toBe('{"say":"second"}');
    } finally {
      watcher.close();
    }
  });
});
