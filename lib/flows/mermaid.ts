/**
 * A flow graph as Mermaid text (`npm run flows:diagram`), which GitHub draws where a Markdown
 * file holds it in a ```mermaid block.
 */
import type { FlowGraph, FlowNode } from './graph';

/** Mermaid's own entities: a label is quoted, so a quote or an angle bracket inside it is written as one. */
const escape = (text: string) =>
  text.replace(/#/g, '#35;').replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');

const SHAPES: Record<FlowNode['kind'], [string, string]> = {
  entry: ['([', '])'],
  step: ['[', ']'],
  end: ['((', '))'],
  messaging: ['[/', '/]'],
};

function nodeText(node: FlowNode): string {
  const title = node.kind === 'step' ? `<b>${escape(node.title)}</b>` : escape(node.title);
  const marks = [...(node.unreachable ? ['unreachable'] : []), ...node.problems].map((mark) => `⚠ ${escape(mark)}`);
  return [title, ...node.lines.map(escape), ...marks].join('<br/>');
}

export function toMermaid(graph: FlowGraph): string {
  const ids = new Map(graph.nodes.map((node, index) => [node.id, `n${index}`]));
  const lines = ['flowchart TD'];
  for (const node of graph.nodes) {
    const [open, close] = SHAPES[node.kind];
    lines.push(`  ${ids.get(node.id)}${open}"${nodeText(node)}"${close}`);
  }
  for (const edge of graph.edges)
    lines.push(`  ${ids.get(edge.from)} -->|"${escape(edge.label)}"| ${ids.get(edge.to)}`);
  const marked = graph.nodes.filter((node) => node.unreachable || node.problems.length);
  if (marked.length) {
    lines.push('  classDef problem stroke:#c00,stroke-width:2px,stroke-dasharray:5 5');
    lines.push(`  class ${marked.map((node) => ids.get(node.id)).join(',')} problem`);
  }
  return `${lines.join('\n')}\n`;
}
