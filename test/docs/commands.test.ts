/**
 * Every `npm run simulate` and `npm run webhooks` command that README.md and docs/ show, run
 * as a reader runs it: in a second terminal while `npm start` runs with its emulator, so the
 * commands get the number, the app's URL and the credentials from npm start's session file.
 * Each must succeed with no warning, and every sample output the pages show must be what the
 * command prints.
 *
 * How a page shows a sample: an untagged code block right after the ```sh block (it must
 * match one of that block's commands), or `# ` comment lines right under a command inside
 * the block. `…` in a sample stands for anything. A block that starts the app with
 * `PHONE_FLOWS=<file> npm start` runs its commands against that flow; the others run against
 * the default flows.json. Commands that need a deployed app (`$BASE_URL`, `$KEY`) are left
 * to docs/deploy-and-operations.md's own test.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../dev/cli/output';
import { writeDevSession } from '../../dev/cli/settings';
import { startLocalTwilio, type LocalTwilio } from '../../dev/emulator/local';
import { runSimulate } from '../../dev/simulate/command';
import { runWebhooks } from '../../dev/webhooks/command';
import { LOCAL_PHONE_NUMBER } from '../../lib/config/settings';
import { ROOT, startAppHost } from '../support/appHost';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, useSettings } from '../support/settings';

/** The origin the pages show; the app here listens on a free port instead. */
const SHOWN_ORIGIN = 'http://localhost:7071';
const PAGES = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => join('docs', name)),
];

interface DocCommand {
  page: string;
  line: string;
  argv: string[];
  flows?: string;
  /** Sample lines written under the command itself. */
  samples: string[];
}
interface DocBlock {
  page: string;
  commands: DocCommand[];
  /** The untagged block after it, when there is one. */
  output?: string[];
}

/** Arguments as the shell splits them: spaces, with single or double quotes. */
const shellWords = (text: string) =>
  [...text.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map(([, single, double, bare]) => single ?? double ?? bare!);

function blocksOf(page: string): DocBlock[] {
  const text = readFileSync(join(ROOT, page), 'utf8');
  const blocks: DocBlock[] = [];
  for (const match of text.matchAll(/^```sh\n([\s\S]*?)^```\n(?:\s*\n)*(?:```\n([\s\S]*?)^```$)?/gm)) {
    const lines = match[1]!.replace(/\\\n\s*/g, '').split('\n');
    const flows = lines.map((line) => /\bPHONE_FLOWS=(\S+)(?: \w+=\S+)* npm start\b/.exec(line)?.[1]).find(Boolean);
    const commands: DocCommand[] = [];
    for (const line of lines) {
      const comment = /^# (.*)$/.exec(line.trim());
      if (comment) {
        commands.at(-1)?.samples.push(comment[1]!);
        continue;
      }
      const command = /^npm run (simulate|webhooks) -- (.*?)\s*(?:# .*)?$/.exec(line.trim());
      if (!command) {
        if (line.trim()) commands.push({ page, line, argv: [], samples: [] });
        continue;
      }
      const argv = [command[1]!, ...shellWords(command[2]!)];
      commands.push({ page, line: line.trim(), argv, ...(flows ? { flows } : {}), samples: [] });
    }
    blocks.push({
      page,
      commands: commands.filter((command) => command.argv.length > 0),
      ...(match[2] ? { output: match[2].trimEnd().split('\n') } : {}),
    });
  }
  return blocks;
}

const blocks = PAGES.flatMap(blocksOf).filter((block) => block.commands.length > 0);
/**
 * `fake-crm` serves until Ctrl-C, and the flow file it writes (under .local/) exists only while
 * it runs: test/dev/fakeCrm.test.ts plays that walkthrough with the fake started.
 */
const needsFakeCrm = (command: DocCommand) =>
  command.argv[1] === 'fake-crm' || Boolean(command.flows?.startsWith('.local/'));
const runnable = (command: DocCommand) => !command.line.includes('$') && !needsFakeCrm(command);

/** The text without colours, the app's origin as the pages show it, and runs of spaces as one. */
const normalize = (text: string, origin: string) =>
  text
    // eslint-disable-next-line no-control-regex -- colours start with ESC
    .replace(/\u001b\[[0-9;]*m/g, '')
    .split(origin)
    .join(SHOWN_ORIGIN)
    .split('\n')
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter(Boolean);

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A sample line as a pattern: `…` stands for anything. */
const pattern = (sample: string) =>
  new RegExp(`^${sample.replace(/\s+/g, ' ').trim().split('…').map(escape).join('.*')}$`);

/** True when every sample line is an output line, in the same order. */
function shows(output: string[], samples: string[]): boolean {
  let at = 0;
  for (const sample of samples.map(pattern)) {
    while (at < output.length && !sample.test(output[at]!)) at += 1;
    if (at === output.length) return false;
    at += 1;
  }
  return true;
}

let twilio: LocalTwilio;
let app: Awaited<ReturnType<typeof startAppHost>>;
let root: string;
let origin: string;

beforeAll(async () => {
  const account = { accountSid: TEST_ACCOUNT_SID, authToken: TEST_AUTH_TOKEN };
  twilio = await startLocalTwilio(account, LOCAL_PHONE_NUMBER, () => {});
  useSettings({ TWILIO_API_BASE_URL: twilio.emulator.url, TWILIO_PHONE_NUMBER: LOCAL_PHONE_NUMBER });
  // With its queue functions, as npm start runs them (simulate campaign waits for them).
  app = await startAppHost(() => {}, { queues: { maxPollingIntervalMs: 100 } });
  // As npm start names itself in its session and points the emulated number at itself.
  origin = `http://localhost:${new URL(app.url).port}`;
  root = mkdtempSync(join(tmpdir(), 'doc-commands-'));
  writeDevSession(root, {
    ...account,
    phoneNumber: LOCAL_PHONE_NUMBER,
    emulatorUrl: twilio.emulator.url,
    appUrl: origin,
  });
  await twilio.pointNumberAt(origin);
});
afterAll(async () => {
  await app?.close();
  await twilio?.emulator.stop();
  rmSync(root, { recursive: true, force: true });
});

async function run(command: DocCommand) {
  useSettings({
    TWILIO_API_BASE_URL: twilio.emulator.url,
    TWILIO_PHONE_NUMBER: LOCAL_PHONE_NUMBER,
    PHONE_FLOWS: command.flows,
  });
  const out: string[] = [];
  const err: string[] = [];
  // No credentials in the environment: like a reader's second terminal, everything comes from the session.
  const io: Io = {
    stdout: { write: (chunk) => out.push(chunk) },
    stderr: { write: (chunk) => err.push(chunk) },
    env: {},
    root,
  };
  const [tool, ...argv] = command.argv;
  const code = await (tool === 'simulate' ? runSimulate : runWebhooks)(argv, io);
  return { code, stdout: normalize(out.join(''), origin), stderr: err.join('') };
}

describe('the commands README.md and docs/ show', () => {
  it('are found: simulate and webhooks, in the README and the emulator page', () => {
    const all = blocks.flatMap((block) => block.commands).filter(runnable);
    expect(all.filter((command) => command.page === 'README.md').length).toBeGreaterThanOrEqual(3);
    expect(all.some((command) => command.page === join('docs', 'emulator.md') && command.argv[0] === 'webhooks')).toBe(
      true,
    );
    expect(blocks.some((block) => block.output)).toBe(true);
  });

  for (const block of blocks) {
    const results = new Map<DocCommand, Awaited<ReturnType<typeof run>>>();
    for (const command of block.commands.filter(runnable)) {
      it(`${command.page}: ${command.line} runs clean${command.flows ? ` with ${command.flows}` : ''}`, async () => {
        const result = await run(command);
        results.set(command, result);
        expect(result.stderr, 'no warning, no error').toBe('');
        expect(result.code).toBe(0);
        if (command.samples.length)
          expect(
            shows(result.stdout, command.samples),
            `${command.samples.join('\n')}\n---\n${result.stdout.join('\n')}`,
          ).toBe(true);
      });
    }
    if (block.output) {
      const output = block.output;
      it(`${block.page}: the sample output "${output[0]}" is what one of its commands prints`, () => {
        const printed = [...results.values()].map((result) => result.stdout);
        expect(printed.length).toBeGreaterThan(0);
        expect(
          printed.some((lines) => shows(lines, output)),
          `${output.join('\n')}\n---\n${printed.map((lines) => lines.join('\n')).join('\n---\n')}`,
        ).toBe(true);
      });
    }
  }
});
