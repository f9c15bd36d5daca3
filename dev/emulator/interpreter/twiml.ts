import { XMLParser, XMLValidator } from 'fast-xml-parser';

/** A TwiML element with its attributes and children in document order. */
export interface TwimlElement {
  name: string;
  attributes: Record<string, string>;
  children: TwimlNode[];
}
export type TwimlNode = TwimlElement | { text: string };

export const isElement = (node: TwimlNode): node is TwimlElement => 'name' in node;

// Verb order is the program: preserveOrder keeps <Say/><Pause/><Say/> as three steps, in order.
const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

type OrderedNode = Record<string, unknown> & { ':@'?: Record<string, string> };

function toNodes(ordered: OrderedNode[]): TwimlNode[] {
  return ordered.flatMap((entry): TwimlNode[] => {
    const name = Object.keys(entry).find((key) => key !== ':@');
    if (name === undefined) return [];
    if (name === '#text') return [{ text: String(entry[name]) }];
    const children = entry[name];
    return [
      {
        name,
        attributes: { ...entry[':@'] },
        children: Array.isArray(children) ? toNodes(children as OrderedNode[]) : [],
      },
    ];
  });
}

export class TwimlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TwimlError';
  }
}

/** The verbs of a TwiML document (the children of its one <Response>); throws TwimlError when it is not TwiML. */
export function parseTwiml(document: string): TwimlElement[] {
  const validation = XMLValidator.validate(document);
  if (validation !== true)
    throw new TwimlError(`not well-formed XML: ${validation.err.msg} (line ${validation.err.line})`);
  const roots = toNodes(parser.parse(document) as OrderedNode[]).filter(isElement);
  const [root] = roots;
  if (roots.length !== 1 || root?.name !== 'Response') throw new TwimlError('the root element must be <Response>');
  return root.children.filter(isElement);
}

/** All text inside an element (SSML such as <emphasis> included), whitespace collapsed. */
export function textOf(node: TwimlNode): string {
  const text = isElement(node) ? node.children.map(textOf).join(' ') : node.text;
  return text.replace(/\s+/g, ' ').trim();
}
