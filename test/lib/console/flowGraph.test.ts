import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { flowGraphReader } from '../../../lib/console/flowGraph';
import { writeFlowFile } from '../../support/flowFile';
import { invoke } from '../../support/invoke';
import { useSettings } from '../../support/settings';

const flows = writeFlowFile('flow-graph', {
  voice: {
    entry: 'menu',
    steps: {
      menu: { actions: [{ gather: { prompt: 'Press 1.', branches: { '1': 'bye' } } }] },
      bye: { actions: [{ say: 'Goodbye.' }] },
    },
  },
});
afterAll(() => flows.remove());

async function graphOf(file: string | undefined) {
  useSettings({ PHONE_FLOWS: file });
  const answer = await invoke(flowGraphReader, { method: 'GET', url: 'http://127.0.0.1/api/flows/graph' });
  expect(answer.response.status).toBe(200);
  return answer.json() as { file: string; nodes: Array<{ id: string }>; edges: unknown[]; problems: unknown[] };
}

describe('GET /api/flows/graph', () => {
  it('draws the flow file the app runs, each step a node, with no problems', async () => {
    const graph = await graphOf(flows.file);
    expect(graph.file).toBe(flows.file);
    expect(graph.nodes.map((node) => node.id)).toEqual(expect.arrayContaining(['step:menu', 'step:bye']));
    expect(graph.edges.length).toBeGreaterThan(0);
    expect(graph.problems).toEqual([]);
  });

  it('answers a file that is not JSON with no drawing and that one problem, never an error status', async () => {
    const broken = join(flows.dir, 'broken.json');
    writeFileSync(broken, '{ "voice": ');
    expect(await graphOf(broken)).toEqual({
      file: broken,
      nodes: [],
      edges: [],
      problems: [{ path: '(the file)', message: 'is not JSON' }],
    });
  });

  it('lists the problems of a file the schema refuses, by where they are', async () => {
    const invalid = join(flows.dir, 'invalid.json');
    writeFileSync(
      invalid,
      JSON.stringify({ voice: { entry: 'menu', steps: { menu: { actions: [{ sing: 'la' }] } } } }),
    );
    const graph = await graphOf(invalid);
    expect(graph.nodes).toEqual([]);
    expect(JSON.stringify(graph.problems)).toContain('menu');
  });

  it('draws the built-in default when no flow file is named and none is there', async () => {
    const empty = join(flows.dir, 'empty');
    mkdirSync(empty);
    useSettings({ AzureWebJobsScriptRoot: empty, PHONE_FLOWS: undefined });
    const answer = await invoke(flowGraphReader, { method: 'GET', url: 'http://127.0.0.1/api/flows/graph' });
    const graph = answer.json() as { file: string; nodes: unknown[] };
    expect(graph.file).toBe('the built-in default');
    expect(graph.nodes.length).toBeGreaterThan(0);
    useSettings({});
  });
});
