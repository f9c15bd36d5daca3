import { describe, expect, it } from 'vitest';
import type { FlowGraph } from '../../../lib/flows/graph';
import { toMermaid } from '../../../lib/flows/mermaid';

const graph: FlowGraph = {
  nodes: [
    { id: 'call', kind: 'entry', title: 'Incoming call', lines: [], problems: [] },
    { id: 'step:menu', kind: 'step', title: 'menu', lines: ['say "Press 1" <now>'], problems: [] },
    { id: 'step:old', kind: 'step', title: 'old', lines: [], problems: ['unknown step "gone"'], unreachable: true },
  ],
  edges: [{ from: 'call', to: 'step:menu', label: 'entry' }],
  problems: [],
} as FlowGraph;

describe('toMermaid', () => {
  it('draws each node in its shape and each edge with its label', () => {
    const text = toMermaid(graph);
    expect(text.startsWith('flowchart TD\n')).toBe(true);
    expect(text).toContain('  n0(["Incoming call"])');
    expect(text).toContain('  n0 -->|"entry"| n1');
  });

  it('writes quotes and angle brackets as Mermaid entities, so a label cannot end its own quotes', () => {
    expect(toMermaid(graph)).toContain('n1["<b>menu</b><br/>say #quot;Press 1#quot; #lt;now#gt;"]');
  });

  it('marks unreachable steps and steps with problems, and only those', () => {
    const text = toMermaid(graph);
    expect(text).toContain('⚠ unreachable<br/>⚠ unknown step #quot;gone#quot;');
    expect(text).toContain('  class n2 problem');
    expect(toMermaid({ ...graph, nodes: graph.nodes.slice(0, 2) })).not.toContain('classDef');
  });
});
