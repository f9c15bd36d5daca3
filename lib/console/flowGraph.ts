/**
 * GET /api/flows/graph: the graph of the flow file this app runs, for the console's drawing.
 * A file with problems is drawn as far as its schema allows, with its problems listed.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { HttpHandler } from '@azure/functions';
import { getSettings } from '../config/settings';
import { handle } from '../http/handle';
import { json } from '../http/responses';
import { zodFlowProblems, type FlowProblem } from '../flows/check';
import { flowGraph, type FlowGraph } from '../flows/graph';
import { flowFileLocation } from '../flows/load';
import { DEFAULT_FLOWS, flowFileSchema } from '../flows/schema';

export interface FlowFileGraph extends FlowGraph {
  file: string;
}

function readGraph(path: string, shown: string): FlowFileGraph {
  const empty = (problems: FlowProblem[]) => ({ file: shown, nodes: [], edges: [], problems });
  let input: unknown;
  try {
    input = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return empty([{ path: '(the file)', message: error instanceof SyntaxError ? 'is not JSON' : 'cannot be read' }]);
  }
  const parsed = flowFileSchema.safeParse(input);
  return parsed.success ? { file: shown, ...flowGraph(parsed.data) } : empty(zodFlowProblems(parsed.error, input));
}

export const flowGraphReader: HttpHandler = handle(async () => {
  const location = flowFileLocation(getSettings());
  const graph =
    !location.named && !existsSync(location.path)
      ? { file: 'the built-in default', ...flowGraph(DEFAULT_FLOWS) }
      : readGraph(location.path, location.shown);
  return json(200, graph);
});
