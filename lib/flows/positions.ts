/**
 * A flow file's JSON with the place of every value: syntax errors and problems name the line
 * and column they are about, as an editor shows them (jsonc-parser keeps the offsets that
 * JSON.parse drops).
 */
import {
  findNodeAtLocation,
  getNodeValue,
  parseTree,
  printParseErrorCode,
  type Node,
  type ParseError,
} from 'jsonc-parser';
import type { FlowProblem } from './check';

/** `voice.steps.menu.actions[1].gather` as the segments it was made of. */
export function pathSegments(path: string): Array<string | number> {
  const segments: Array<string | number> = [];
  for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    segments.push(match[2] !== undefined ? Number(match[2]) : match[1]!);
  }
  return segments;
}

/** 1-based line and column of an offset. */
function lineColumn(source: string, offset: number): { line: number; column: number } {
  const before = source.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/** The value a path names, else its nearest ancestor that is in the file (a missing field: the object it belongs in). */
function nodeAt(tree: Node, segments: Array<string | number>): Node | undefined {
  for (let length = segments.length; length >= 0; length--) {
    const node = findNodeAtLocation(tree, segments.slice(0, length));
    if (node) return node;
  }
  return undefined;
}

export function parseWithPositions(source: string): {
  value: unknown;
  syntax: FlowProblem[];
  locate: (problem: FlowProblem) => FlowProblem;
} {
  const errors: ParseError[] = [];
  const tree = parseTree(source, errors, { disallowComments: true, allowTrailingComma: false });
  // The first syntax error is the one to fix; the ones after it follow from it.
  const syntax = errors.slice(0, 1).map((error) => ({
    path: '(the file)',
    message: `is not JSON: ${syntaxMessage(error.error)}`,
    ...lineColumn(source, error.offset),
  }));
  const locate = (problem: FlowProblem): FlowProblem => {
    if (!tree || problem.path === '(the file)') return problem;
    const node = nodeAt(tree, pathSegments(problem.path));
    if (!node) return problem;
    return { ...problem, ...lineColumn(source, node.offset) };
  };
  return { value: tree ? (getNodeValue(tree) as unknown) : undefined, syntax, locate };
}

const SYNTAX: Record<string, string> = {
  InvalidSymbol: 'an unexpected character',
  InvalidNumberFormat: 'a number written wrongly',
  PropertyNameExpected: 'a "name" expected (a comma too many before } ?)',
  ValueExpected: 'a value expected (a comma too many before ] or }, or a value missing?)',
  ColonExpected: 'a colon expected after the name',
  CommaExpected: 'a comma expected between items',
  CloseBraceExpected: 'a } expected',
  CloseBracketExpected: 'a ] expected',
  EndOfFileExpected: 'nothing expected after the end of the document',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'comments are not allowed in JSON',
  UnexpectedEndOfString: 'a string is not closed with "',
  UnexpectedEndOfNumber: 'a number ends too soon',
  InvalidUnicode: 'an invalid \\u escape',
  InvalidEscapeCharacter: 'an invalid \\ escape',
  InvalidCharacter: 'a character that must be escaped in a string',
};

function syntaxMessage(code: number): string {
  const name = printParseErrorCode(code);
  return SYNTAX[name] ?? name;
}
