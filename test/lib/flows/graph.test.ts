import { describe, expect, it } from 'vitest';
import { ENTRY_ID, flowGraph, stepId } from '../../../lib/flows/graph';
import { toMermaid } from '../../../lib/flows/mermaid';
import { flowFileSchema } from '../../../lib/flows/schema';

const graphOf = (file: unknown) => flowGraph(flowFileSchema.parse(file));
const edges = (file: unknown) => graphOf(file).edges.map((edge) => `${edge.from} -${edge.label}-> ${edge.to}`);

describe('flowGraph', () => {
  it('draws every branch, keyword, no-input and otherwise of a gather as a labelled edge', () => {
    expect(
      edges({
        voice: {
          entry: 'menu',
          steps: {
            menu: {
              actions: [
                {
                  gather: {
                    branches: { '1': 'a' },
                    keywords: { yes: 'a' },
                    noInput: 'b',
                    otherwise: 'b',
                  },
                },
              ],
            },
            a: { actions: [{ hangup: true }] },
            b: { actions: [{ record: { then: 'a' } }] },
          },
        },
      }),
    ).toEqual([
      'call -answer-> step:menu',
      'step:menu -press 1-> step:a',
      'step:menu -say "yes"-> step:a',
      'step:menu -no input-> step:b',
      'step:menu -otherwise-> step:b',
      'step:b -recorded-> step:a',
    ]);
  });

  it('puts routing at the entry: hours open and closed, blocked callers to a step or an end', () => {
    const hours = { timeZone: 'Europe/Paris', weekly: { mon: ['09:00-17:00'] } };
    const steps = { open: { actions: [{ say: 'Hi' }] }, shut: { actions: [{ say: 'Closed' }] } };
    expect(
      edges({ hours, blocklist: { numbers: ['+15550100000'] }, voice: { entry: 'open', closed: 'shut', steps } }),
    ).toEqual(['call -open-> step:open', 'call -closed-> step:shut', 'call -blocked-> blocked']);
    const entry = graphOf({ hours, blocklist: { prefixes: ['+1900'] }, voice: { entry: 'open', steps } }).nodes[0]!;
    expect(entry).toMatchObject({
      id: ENTRY_ID,
      lines: ['blocklist: 0 number(s), 1 prefix(es)', 'hours: Europe/Paris'],
    });
  });

  it('marks a step nothing leads to, and a step named but not defined', () => {
    const graph = graphOf({
      voice: {
        entry: 'a',
        steps: { a: { actions: [{ redirect: { step: 'ghost' } }] }, lonely: { actions: [{ hangup: true }] } },
      },
    });
    expect(graph.nodes.find((node) => node.id === stepId('lonely'))).toMatchObject({ unreachable: true });
    expect(graph.nodes.find((node) => node.id === stepId('ghost'))).toMatchObject({
      kind: 'end',
      problems: ['unknown step'],
    });
    expect(toMermaid(graph)).toContain('class n1,n2,n3 problem');
  });

  it('lists the messaging rules beside the voice flow', () => {
    const graph = graphOf({
      messaging: {
        rules: [
          { keyword: ['HOURS', 'OPEN'], reply: 'Nine to five' },
          { pattern: '^job', forward: '+15550100000' },
        ],
      },
    });
    expect(graph.nodes.find((node) => node.kind === 'messaging')?.lines).toEqual([
      'keyword HOURS, OPEN → reply "Nine to five"',
      'matches /^job/ → forward to +15550100000',
      'otherwise → no reply',
    ]);
  });
});

describe('toMermaid', () => {
  it('writes quotes, angle brackets and # as Mermaid entities, so a label cannot break the diagram', () => {
    const text = toMermaid(
      graphOf({ voice: { entry: 'a', steps: { a: { actions: [{ say: 'Press # or say "<hi>"' }] } } } }),
    );
    expect(text).toContain('say #quot;Press #35; or say #quot;#lt;hi#gt;#quot;#quot;');
    expect(text.split('\n')[0]).toBe('flowchart TD');
  });
});
