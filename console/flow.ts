/**
 * A flow graph (GET /api/flows/graph) drawn as SVG. dagre places the boxes and routes the
 * arrows; this file only measures text and draws what dagre decided. Parallel arrows between
 * the same two boxes are one arrow with every label on it.
 */
import dagre, { type EdgeLabel } from '@dagrejs/dagre';
import type { FlowGraph, FlowNode } from './api';
import { h, svg } from './dom';

const FONT = '13px system-ui, sans-serif';
const LINE = 17;
const PAD = 8;

let context: CanvasRenderingContext2D | null | undefined;
function textWidth(text: string, bold = false): number {
  context ??= document.createElement('canvas').getContext('2d');
  if (!context) return text.length * 7;
  context.font = bold ? `bold ${FONT}` : FONT;
  return context.measureText(text).width;
}

const nodeLines = (node: FlowNode) => [
  ...node.lines,
  ...(node.unreachable ? ['⚠ unreachable'] : []),
  ...node.problems.map((problem) => `⚠ ${problem}`),
];

interface Arrow {
  from: string;
  to: string;
  labels: string[];
}

function arrows(graph: FlowGraph): Arrow[] {
  const byPair = new Map<string, Arrow>();
  for (const edge of graph.edges) {
    const pair = `${edge.from}\n${edge.to}`;
    const arrow = byPair.get(pair) ?? { from: edge.from, to: edge.to, labels: [] };
    arrow.labels.push(edge.label);
    byPair.set(pair, arrow);
  }
  return [...byPair.values()];
}

function layout(graph: FlowGraph, list: Arrow[]) {
  const g = new dagre.graphlib.Graph({ multigraph: false });
  g.setGraph({ rankdir: 'TB', nodesep: 30, ranksep: 50, edgesep: 12, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of graph.nodes) {
    const lines = nodeLines(node);
    const width = Math.max(textWidth(node.title, true), ...lines.map((line) => textWidth(line))) + 2 * PAD;
    g.setNode(node.id, { width, height: (lines.length + 1) * LINE + 2 * PAD });
  }
  for (const arrow of list) {
    const width = Math.max(...arrow.labels.map((label) => textWidth(label))) + 6;
    g.setEdge(arrow.from, arrow.to, { width, height: arrow.labels.length * LINE, labelpos: 'c' });
  }
  dagre.layout(g);
  return g;
}

/** Steps a call went through, in order, from its turn events. */
export type Path = string[];

function drawNode(node: FlowNode, box: { x: number; y: number; width: number; height: number }, visited: boolean) {
  const left = box.x - box.width / 2;
  const top = box.y - box.height / 2;
  const classes = [
    'node',
    `node-${node.kind}`,
    visited ? 'visited' : '',
    node.unreachable || node.problems.length ? 'problem' : '',
  ];
  return svg(
    'g',
    {
      class: classes.filter(Boolean).join(' '),
      'data-node': node.id,
      ...(node.step ? { 'data-step': node.step } : {}),
      tabindex: 0,
      role: 'img',
      'aria-label': [node.title, ...nodeLines(node)].join('. '),
    },
    svg('rect', { x: left, y: top, width: box.width, height: box.height, rx: node.kind === 'step' ? 4 : 14 }),
    svg('text', { x: left + PAD, y: top + PAD + LINE - 4, class: 'title' }, node.title),
    ...nodeLines(node).map((line, index) =>
      svg(
        'text',
        { x: left + PAD, y: top + PAD + (index + 2) * LINE - 4, class: line.startsWith('⚠') ? 'warn' : undefined },
        line,
      ),
    ),
  );
}

function drawArrow(arrow: Arrow, edge: EdgeLabel, visited: boolean) {
  const points = edge.points ?? [];
  const d = points.map((point, index) => `${index ? 'L' : 'M'}${point.x},${point.y}`).join(' ');
  const top = (edge.y ?? 0) - (arrow.labels.length * LINE) / 2;
  return svg(
    'g',
    { class: `edge${visited ? ' visited' : ''}`, 'data-from': arrow.from, 'data-to': arrow.to },
    svg('path', { d, 'marker-end': 'url(#arrow)' }),
    ...arrow.labels.map((label, index) =>
      svg(
        'text',
        { x: edge.x ?? 0, y: top + (index + 1) * LINE - 4, class: 'edge-label', 'text-anchor': 'middle' },
        label,
      ),
    ),
  );
}

/** Node ids a path visits and the arrows between consecutive ones. */
function visits(graph: FlowGraph, path: Path): { nodes: Set<string>; arrows: Set<string> } {
  const ids = path.map((step) => graph.nodes.find((node) => node.step === step)?.id).filter((id) => id !== undefined);
  const entry = graph.nodes.find((node) => node.kind === 'entry')?.id;
  const walk = ids.length && entry ? [entry, ...ids] : ids;
  return {
    nodes: new Set(walk),
    arrows: new Set(walk.slice(1).map((id, index) => `${walk[index]}\n${id}`)),
  };
}

export function drawFlow(graph: FlowGraph, path: Path = []): HTMLElement {
  const list = arrows(graph);
  const g = layout(graph, list);
  const seen = visits(graph, path);
  const { width = 0, height = 0 } = g.graph();
  const drawing = svg(
    'svg',
    {
      class: 'flow',
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: 'group',
      'aria-label': `Flow ${graph.file}`,
    },
    svg(
      'defs',
      {},
      svg(
        'marker',
        {
          id: 'arrow',
          viewBox: '0 0 10 10',
          refX: 9,
          refY: 5,
          markerWidth: 7,
          markerHeight: 7,
          orient: 'auto-start-reverse',
        },
        svg('path', { d: 'M0,0 L10,5 L0,10 z' }),
      ),
    ),
    ...list.map((arrow) =>
      drawArrow(arrow, g.edge(arrow.from, arrow.to), seen.arrows.has(`${arrow.from}\n${arrow.to}`)),
    ),
    ...graph.nodes.map((node) => drawNode(node, g.node(node.id), seen.nodes.has(node.id))),
  );
  return h(
    'figure',
    { class: 'flow-figure' },
    drawing as unknown as HTMLElement,
    h('figcaption', {}, graph.file, path.length ? ` · path: ${path.join(' → ')}` : ''),
    graph.problems.length
      ? h(
          'ul',
          { class: 'problems' },
          ...graph.problems.map((problem) => h('li', {}, `${problem.path}: ${problem.message}`)),
        )
      : undefined,
  );
}
