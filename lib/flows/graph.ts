/**
 * A flow file as a graph: its steps as nodes listing their actions, and every branch, keyword,
 * outcome, `otherwise` and redirect as a labelled edge; routing (blocklist, hours) at an entry
 * node; messaging rules in a node of their own. The one structure that `npm run flows:diagram`
 * writes as Mermaid and the console draws (GET /api/flows/graph).
 */
import { actionOf } from './actions';
import { flowProblems, type FlowProblem } from './check';
import type { FlowFile, MessagingRule, VoiceAction, VoiceFlow } from './schema';

export type NodeKind = 'entry' | 'step' | 'end' | 'messaging';

export interface FlowNode {
  id: string;
  kind: NodeKind;
  /** The step's name, for a step. */
  step?: string;
  title: string;
  lines: string[];
  unreachable?: boolean;
  problems: string[];
}

export interface FlowEdge {
  from: string;
  to: string;
  label: string;
}

export interface FlowGraph {
  nodes: FlowNode[];
  edges: FlowEdge[];
  problems: FlowProblem[];
}

export const ENTRY_ID = 'call';
const BLOCKED_ID = 'blocked';
const MESSAGING_ID = 'messaging';

/** A step's node id: the step's name (step names are letters, digits, - and _). */
export const stepId = (step: string) => `step:${step}`;

const clip = (text: string, max = 48) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const quoted = (text: string) => `"${clip(text)}"`;
const list = (value: string | string[]) => [value].flat().join(', ');

/** One line per action, as a person would name it. */
export function actionLine(action: VoiceAction): string {
  if ('say' in action) return `say ${quoted(typeof action.say === 'string' ? action.say : action.say.text)}`;
  if ('play' in action)
    return typeof action.play === 'string'
      ? `play ${clip(action.play)}`
      : `play ${action.play.url ? clip(action.play.url) : `keys ${action.play.digits ?? ''}`}`;
  if ('pause' in action) return `pause ${typeof action.pause === 'number' ? action.pause : action.pause.length} s`;
  if ('gather' in action) return `gather ${action.gather.input}`;
  if ('dial' in action) return `dial ${clip(list(action.dial.to))}${action.dial.record ? ' (recorded)' : ''}`;
  if ('record' in action) return `record${action.record.transcribe ? ' + transcribe' : ''}`;
  if ('sms' in action) return `sms ${quoted(typeof action.sms === 'string' ? action.sms : action.sms.text)}`;
  if ('redirect' in action) return 'step' in action.redirect ? 'redirect' : `redirect ${clip(action.redirect.url)}`;
  if ('hangup' in action) return 'hangup';
  if ('set' in action)
    return `set ${clip(Object.keys('variables' in action.set && typeof action.set.variables === 'object' && action.set.variables !== null ? action.set.variables : action.set).join(', '))}`;
  if ('switch' in action) return `switch ${quoted(action.switch.value)}`;
  if ('http' in action) return `http ${action.http.name}: ${action.http.method} ${clip(action.http.url)}`;
  if ('code' in action) return `code ${action.code.hook}`;
  if ('ask' in action) return `ask ${quoted(action.ask.text)}`;
  return `reject (${action.reject.reason})`;
}

/** Names a way out of an action for a person: its place in the action's value (`branches.1`, `noAnswer`). */
const EXIT_LABELS: Record<string, string> = {
  noInput: 'no input',
  noAnswer: 'no answer',
  then: 'recorded',
  step: 'redirect',
};

function exitLabel([field, key]: PropertyKey[]): string {
  if (field === 'branches') return `press ${String(key)}`;
  if (field === 'keywords') return `say "${String(key)}"`;
  return EXIT_LABELS[String(field)] ?? String(field);
}

/** The steps an action leads to (its module's `steps`, lib/flows/actions/), each with the label of the way there. */
export function actionEdges(action: VoiceAction): Array<{ label: string; step: string }> {
  const { module, value } = actionOf(action);
  return (module.steps?.(value) ?? []).map((exit) => ({ label: exitLabel(exit.path), step: exit.step }));
}

function entryNode(file: FlowFile): FlowNode {
  const lines: string[] = [];
  const blocklist = file.blocklist;
  if (blocklist)
    lines.push(`blocklist: ${blocklist.numbers.length} number(s), ${blocklist.prefixes.length} prefix(es)`);
  if (file.hours) lines.push(`hours: ${file.hours.timeZone}`);
  return { id: ENTRY_ID, kind: 'entry', title: 'Incoming call', lines, problems: [] };
}

function routingEdges(file: FlowFile, voice: VoiceFlow): { nodes: FlowNode[]; edges: FlowEdge[] } {
  const nodes: FlowNode[] = [];
  const edges: FlowEdge[] = [
    { from: ENTRY_ID, to: stepId(voice.entry), label: voice.closed && file.hours ? 'open' : 'answer' },
  ];
  if (voice.closed) edges.push({ from: ENTRY_ID, to: stepId(voice.closed), label: 'closed' });
  if (voice.machine) edges.push({ from: ENTRY_ID, to: stepId(voice.machine), label: 'machine' });
  if (file.blocklist) {
    if (typeof voice.blocked === 'object')
      edges.push({ from: ENTRY_ID, to: stepId(voice.blocked.step), label: 'blocked' });
    else {
      nodes.push({ id: BLOCKED_ID, kind: 'end', title: voice.blocked, lines: [], problems: [] });
      edges.push({ from: ENTRY_ID, to: BLOCKED_ID, label: 'blocked' });
    }
  }
  return { nodes, edges };
}

function ruleLine(rule: MessagingRule): string {
  const when =
    rule.keyword !== undefined
      ? `keyword ${list(rule.keyword)}`
      : rule.startsWith !== undefined
        ? `starts with ${list(rule.startsWith)}`
        : rule.pattern !== undefined
          ? `matches /${clip(rule.pattern, 24)}/`
          : 'any message';
  const does = [
    ...(rule.reply ? [`reply ${quoted(rule.reply)}`] : []),
    ...(rule.forward ? [`forward to ${list(rule.forward)}`] : []),
    ...(rule.start ? [`conversation from ${rule.start}`] : []),
  ];
  return `${when}${rule.hours ? ` (${rule.hours})` : ''} → ${does.join(', ') || 'no reply'}`;
}

function messagingNode(file: FlowFile): FlowNode | undefined {
  const messaging = file.messaging;
  if (!messaging) return undefined;
  const lines = [
    ...(file.blocklist ? ['blocked sender → no reply'] : []),
    ...messaging.rules.map(ruleLine),
    `otherwise → ${messaging.reply ? `reply ${quoted(messaging.reply)}` : 'no reply'}`,
  ];
  return { id: MESSAGING_ID, kind: 'messaging', title: 'Incoming text', lines, problems: [] };
}

/** Steps that no entry, branch, outcome or redirect reaches from the entries. */
function unreachableSteps(edges: FlowEdge[], steps: string[]): Set<string> {
  const reached = new Set<string>([ENTRY_ID]);
  const queue = [ENTRY_ID];
  while (queue.length) {
    const from = queue.pop()!;
    for (const edge of edges.filter((candidate) => candidate.from === from && !reached.has(candidate.to))) {
      reached.add(edge.to);
      queue.push(edge.to);
    }
  }
  return new Set(steps.filter((step) => !reached.has(stepId(step))));
}

/** The graph of a flow file that passed the schema; its check's problems are on the nodes they concern. */
export function flowGraph(file: FlowFile): FlowGraph {
  const problems = flowProblems(file);
  const nodes: FlowNode[] = [entryNode(file)];
  const edges: FlowEdge[] = [];
  const voice = file.voice;
  if (voice) {
    const routing = routingEdges(file, voice);
    nodes.push(...routing.nodes);
    edges.push(...routing.edges);
    for (const [name, step] of Object.entries(voice.steps)) {
      nodes.push({
        id: stepId(name),
        kind: 'step',
        step: name,
        title: name,
        lines: step.actions.map(actionLine),
        // Problems inside the step; the step's own (unreachable) is the node's mark.
        problems: problems
          .filter((problem) => problem.path.startsWith(`voice.steps.${name}.`))
          .map((problem) => problem.message),
      });
      for (const action of step.actions)
        edges.push(
          ...actionEdges(action).map((edge) => ({ from: stepId(name), to: stepId(edge.step), label: edge.label })),
        );
    }
    const unreachable = unreachableSteps(edges, Object.keys(voice.steps));
    for (const node of nodes) if (node.step && unreachable.has(node.step)) node.unreachable = true;
  } else {
    nodes.push({
      id: stepId('greeting'),
      kind: 'step',
      step: 'greeting',
      title: 'greeting',
      lines: ['say "{VOICE_GREETING}"'],
      problems: [],
    });
    edges.push({ from: ENTRY_ID, to: stepId('greeting'), label: 'answer' });
  }
  const known = new Set(nodes.map((node) => node.id));
  for (const missing of new Set(edges.map((edge) => edge.to).filter((id) => !known.has(id))))
    nodes.push({
      id: missing,
      kind: 'end',
      title: missing.slice(stepId('').length),
      lines: [],
      problems: ['unknown step'],
    });
  const messaging = messagingNode(file);
  if (messaging) nodes.push(messaging);
  return { nodes, edges, problems };
}
