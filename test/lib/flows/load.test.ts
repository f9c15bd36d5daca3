import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CHECKED_FLOWS,
  checkedHash,
  describeFlows,
  FlowFileError,
  flowFileLocation,
  getFlows,
  readFlowFile,
} from '../../../lib/flows/load';
import { DEFAULT_FLOWS } from '../../../lib/flows/schema';

const folder = () => mkdtempSync(join(tmpdir(), 'flows-'));
const write = (dir: string, name: string, content: unknown) => {
  writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  return join(dir, name);
};
const problemsOf = (run: () => unknown): string[] => {
  try {
    run();
  } catch (error) {
    if (error instanceof FlowFileError) return error.lines;
    throw error;
  }
  throw new Error('no FlowFileError');
};

describe('load: the flow file this process runs', () => {
  it('runs the built-in default when there is no flows.json and none is named', () => {
    const root = folder();
    expect(getFlows({ PHONE_FLOWS: undefined }, root)).toBe(DEFAULT_FLOWS);
    expect(describeFlows({ PHONE_FLOWS: undefined }, root)).toBe(
      'the built-in default (no flows.json): voice 1 step(s) from "greeting"; messaging 0 rule(s) and a default reply',
    );
  });

  it('refuses a named file that does not exist, rather than running the default', () => {
    expect(problemsOf(() => getFlows({ PHONE_FLOWS: 'missing.json' }, folder()))).toEqual([
      'missing.json: (the file): does not exist',
    ]);
  });

  it('resolves a named file against the app root, and shows it as it was named', () => {
    expect(flowFileLocation({ PHONE_FLOWS: 'flows/night.json' }, '/app')).toEqual({
      path: '/app/flows/night.json',
      shown: 'flows/night.json',
      named: true,
    });
    expect(flowFileLocation({ PHONE_FLOWS: undefined }, '/app')).toMatchObject({
      path: '/app/flows.json',
      named: false,
    });
  });

  it('refuses a file whole, naming every problem by its path: JSON, schema, then the checks', () => {
    const dir = folder();
    expect(problemsOf(() => readFlowFile(write(dir, 'a.json', '{ nope'), 'a.json'))[0]).toMatch(
      /^a\.json:1:3: \(the file\): is not JSON/,
    );
    expect(
      problemsOf(() => readFlowFile(write(dir, 'b.json', { voice: { entry: 'a', steps: {} }, extra: 1 }), 'b.json')),
    ).toEqual([expect.stringMatching(/^b\.json(:\d+:\d+)?: \(the file\): has unknown "extra"/)]);
    expect(
      problemsOf(() =>
        readFlowFile(
          write(dir, 'c.json', { voice: { entry: 'a', steps: { a: { actions: [{ redirect: { step: 'b' } }] } } } }),
          'c.json',
        ),
      ),
    ).toEqual([
      expect.stringMatching(/^c\.json:\d+:\d+: voice\.steps\.a\.actions\[0\]\.redirect\.step: unknown step "b"/),
    ]);
  });

  it('reads a file once per path: a later change is not half applied to a running process', () => {
    const root = folder();
    write(root, 'flows.json', { messaging: { reply: 'first' } });
    expect(getFlows({ PHONE_FLOWS: undefined }, root).messaging?.reply).toBe('first');
    write(root, 'flows.json', { messaging: { reply: 'second' } });
    expect(getFlows({ PHONE_FLOWS: undefined }, root).messaging?.reply).toBe('first');
  });

  describe('a flow file the package checked (flows.checked.json)', () => {
    const trusted = { messaging: { reply: 'as the package read it', rules: [], replies: {} } };
    const packaged = (source: string, hooks: string[] = []) => {
      const root = folder();
      write(root, 'flows.json', source);
      write(root, 'hooks.json', hooks);
      write(root, CHECKED_FLOWS, { 'flows.json': { sha256: checkedHash(source, hooks), flows: trusted } });
      return root;
    };

    it('runs what the package read when the file and hooks are the ones it checked', () => {
      const root = packaged(JSON.stringify({ messaging: { reply: 'in the file' } }));
      expect(readFlowFile(join(root, 'flows.json'), 'flows.json', root)).toEqual(trusted);
    });

    it('checks a changed file, or changed hooks, as any other: a bad one is refused with the same messages', () => {
      const bad = { voice: { entry: 'a', steps: { a: { actions: [{ redirect: { step: 'b' } }] } } } };
      const root = packaged(JSON.stringify({ messaging: { reply: 'in the file' } }));
      write(root, 'flows.json', bad);
      const unpackaged = folder();
      write(unpackaged, 'flows.json', bad);
      const lines = problemsOf(() => readFlowFile(join(unpackaged, 'flows.json'), 'flows.json', unpackaged));
      expect(lines).toEqual([expect.stringMatching(/unknown step "b"/)]);
      expect(problemsOf(() => readFlowFile(join(root, 'flows.json'), 'flows.json', root))).toEqual(lines);

      const hooked = JSON.stringify({ messaging: { reply: 'in the file' } });
      const hooksGone = packaged(hooked, ['orderStatus']);
      write(hooksGone, 'hooks.json', []);
      expect(readFlowFile(join(hooksGone, 'flows.json'), 'flows.json', hooksGone).messaging?.reply).toBe('in the file');
    });
  });
});
