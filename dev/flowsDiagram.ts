/**
 * `npm run flows:diagram [file]`: the flow file (default: the one PHONE_FLOWS names, else
 * flows.json) as Mermaid text, for a Markdown page where GitHub draws it.
 */
import { resolve } from 'node:path';
import { flowFileSchema } from '../lib/flows/schema';
import { flowGraph } from '../lib/flows/graph';
import { toMermaid } from '../lib/flows/mermaid';
import { readFileSync } from 'node:fs';
import { zodFlowProblems } from '../lib/flows/check';

/** The Mermaid text of a flow file; throws with every schema problem named. */
export function flowDiagram(path: string): string {
  const json: unknown = JSON.parse(readFileSync(path, 'utf8'));
  const parsed = flowFileSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(
      `${path}:\n${zodFlowProblems(parsed.error, json)
        .map((problem) => `  ${problem.path}: ${problem.message}`)
        .join('\n')}`,
    );
  return toMermaid(flowGraph(parsed.data));
}

if (require.main === module) {
  try {
    const file = process.argv[2] ?? process.env.PHONE_FLOWS ?? 'flows.json';
    process.stdout.write(flowDiagram(resolve(file)));
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  }
}
