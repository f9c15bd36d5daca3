/**
 * Reads the Bicep in infra/ with a real Bicep grammar (tree-sitter-bicep, run by
 * web-tree-sitter), so tests can check the templates here, where the Bicep CLI is not
 * available: syntax, and the few facts the contract tests need (parameters, outputs,
 * resources, modules, object properties).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { Language, Parser, type Node } from 'web-tree-sitter';
import { ROOT } from '../support/appHost';

export const INFRA = join(ROOT, 'infra');

let parser: Promise<Parser> | undefined;

function bicepParser(): Promise<Parser> {
  parser ??= (async () => {
    await Parser.init();
    const language = await Language.load(createRequire(join(ROOT, 'package.json')).resolve('tree-sitter-bicep/tree-sitter-bicep.wasm'));
    return new Parser().setLanguage(language);
  })();
  return parser;
}

export async function parseBicep(source: string): Promise<Node> {
  const tree = (await bicepParser()).parse(source);
  if (!tree) throw new Error('tree-sitter returned no tree');
  return tree.rootNode;
}

/** Every .bicep file under infra/, as paths relative to the repository. */
export function bicepFiles(dir = INFRA): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return bicepFiles(path);
    return entry.name.endsWith('.bicep') ? [relative(ROOT, path)] : [];
  });
}

/** Where the grammar found a syntax error or had to invent a missing token. */
export function syntaxProblems(root: Node): string[] {
  const problems: string[] = [];
  const visit = (node: Node) => {
    if (node.isError || node.isMissing) {
      const { row, column } = node.startPosition;
      problems.push(`${row + 1}:${column + 1} ${node.isMissing ? `missing ${node.type}` : `unexpected ${JSON.stringify(node.text.slice(0, 40))}`}`);
    }
    for (const child of node.children) visit(child);
  };
  visit(root);
  return problems;
}

export interface Param {
  name: string;
  decorators: string[];
  hasDefault: boolean;
  defaultValue: Node | undefined;
}
export interface Output {
  name: string;
  value: Node;
}
export interface Resource {
  symbol: string;
  /** The type as written, e.g. 'Microsoft.Web/sites@2024-04-01', or 'config' for a nested child. */
  type: string;
  /** The full type without API version, with nested children resolved, e.g. 'Microsoft.Web/sites/config'. */
  fullType: string;
  existing: boolean;
  /** For `[for variable in iterable: ...]`: the loop variable and the iterable's source text. */
  loop: { variable: string; iterable: string } | undefined;
  body: Node;
}
export interface Module {
  symbol: string;
  path: string;
  body: Node;
}

export interface BicepFile {
  path: string;
  source: string;
  root: Node;
  params: Param[];
  outputs: Output[];
  variables: Map<string, Node>;
  resources: Resource[];
  modules: Module[];
}

export async function readBicep(path: string): Promise<BicepFile> {
  const source = readFileSync(join(ROOT, path), 'utf8');
  const root = await parseBicep(source);
  const top = root.namedChildren;
  const params = top
    .filter((node) => node.type === 'parameter_declaration')
    .map((node) => {
      const defaultValue = node.namedChildren.filter((child) => child.type !== 'comment')[2];
      return { name: nameOf(node), decorators: decoratorsOf(node), hasDefault: defaultValue !== undefined, defaultValue };
    });
  const outputs = top
    .filter((node) => node.type === 'output_declaration')
    .map((node) => ({ name: nameOf(node), value: node.namedChildren.at(-1)! }));
  const variables = new Map(
    top.filter((node) => node.type === 'variable_declaration').map((node) => [nameOf(node), node.namedChildren.at(-1)!] as const),
  );
  const modules = top
    .filter((node) => node.type === 'module_declaration')
    .map((node) => ({ symbol: nameOf(node), path: stringValue(node.namedChildren[1]!), body: bodyOf(node) }));
  return { path, source, root, params, outputs, variables, resources: resourcesIn(top), modules };
}

function resourcesIn(nodes: Node[], parentType?: string): Resource[] {
  return nodes
    .filter((node) => node.type === 'resource_declaration')
    .flatMap((node) => {
      const type = stringValue(node.namedChildren[1]!);
      const bare = type.split('@')[0]!;
      const fullType = parentType && !bare.includes('/') ? `${parentType}/${bare}` : bare;
      const body = bodyOf(node);
      const nested = body.namedChildren
        .filter((property) => property.type === 'object_property')
        .flatMap((property) => property.namedChildren.filter((child) => child.type === 'resource_declaration'));
      const value = node.namedChildren.at(-1)!;
      const [variable, iterable] = value.type === 'for_statement' ? value.namedChildren : [];
      const loop = variable && iterable ? { variable: variable.text, iterable: iterable.text } : undefined;
      const existing = node.children.some((child) => child.type === 'existing');
      const resource = { symbol: nameOf(node), type, fullType, existing, loop, body };
      return [resource, ...resourcesIn(nested, fullType)];
    });
}

function nameOf(declaration: Node): string {
  return declaration.namedChildren.find((child) => child.type === 'identifier')!.text;
}

function decoratorsOf(declaration: Node): string[] {
  let previous = declaration.previousNamedSibling;
  while (previous?.type === 'comment') previous = previous.previousNamedSibling;
  if (previous?.type !== 'decorators') return [];
  return previous.namedChildren.map((decorator) => decorator.namedChildren[0]?.childForFieldName('function')?.text ?? decorator.text);
}

/** The object a resource or module declares, through `[for ...: ...]` and `if (...)`. */
function bodyOf(declaration: Node): Node {
  let body = declaration.namedChildren.at(-1)!;
  while (body.type !== 'object') {
    const inner = body.type === 'for_statement' ? body.childForFieldName('body') : body.namedChildren.at(-1);
    if (!inner) throw new Error(`no object in ${declaration.text.slice(0, 80)}`);
    body = inner;
  }
  return body;
}

/** A string literal's value (an interpolated one as written, `${...}` included); other expressions as written. */
export function stringValue(node: Node): string {
  if (node.type !== 'string') return node.text;
  if (node.namedChildren.some((child) => child.type === 'interpolation')) return node.text.slice(1, -1);
  return node.namedChildren.map((child) => (child.type === 'escape_sequence' ? child.text.slice(1) : child.text)).join('');
}

/** An object literal's properties by key (nested resource declarations left out). */
export function properties(object: Node): Map<string, Node> {
  const entries = object.namedChildren
    .filter((property) => property.type === 'object_property' && property.namedChildren.length === 2)
    .map((property) => [stringValue(property.namedChildren[0]!), property.namedChildren[1]!] as const);
  return new Map(entries);
}

/** The value at a path of keys through nested object literals, if every step is one. */
export function propertyAt(object: Node, ...path: string[]): Node | undefined {
  let node: Node | undefined = object;
  for (const key of path) {
    if (node?.type !== 'object') return undefined;
    node = properties(node).get(key);
  }
  return node;
}

/** Every identifier (not property name) in an expression. */
export function identifiersIn(node: Node): string[] {
  return node.type === 'identifier' ? [node.text] : node.namedChildren.flatMap(identifiersIn);
}

/** Every use of a name as a value in a file: identifier nodes other than the declarations' own names. */
export function usesOf(file: BicepFile, name: string): Node[] {
  const uses: Node[] = [];
  const visit = (node: Node) => {
    if (node.type === 'identifier' && node.text === name && !isDeclaredName(node)) uses.push(node);
    for (const child of node.namedChildren) visit(child);
  };
  visit(file.root);
  return uses;
}

function isDeclaredName(identifier: Node): boolean {
  const parent = identifier.parent;
  if (!parent) return false;
  if (parent.type === 'object_property') return parent.namedChildren[0]?.id === identifier.id;
  const declarations = ['parameter_declaration', 'output_declaration', 'variable_declaration', 'resource_declaration', 'module_declaration'];
  return declarations.includes(parent.type) && parent.namedChildren.find((child) => child.type === 'identifier')?.id === identifier.id;
}

/** The chain of object_property keys from the file's top down to a node, e.g. ['params', 'twilioAuthToken']. */
export function keyPath(node: Node): string[] {
  const keys: string[] = [];
  for (let current = node.parent; current; current = current.parent) {
    const key = current.type === 'object_property' && current.namedChildren.length === 2 ? current.namedChildren[0] : undefined;
    if (key) keys.unshift(stringValue(key));
  }
  return keys;
}

/** The resource or module declaration a node sits in (the innermost one). */
export function enclosingDeclaration(node: Node): Node | undefined {
  for (let current = node.parent; current; current = current.parent) {
    if (current.type === 'resource_declaration' || current.type === 'module_declaration' || current.type === 'output_declaration') return current;
  }
  return undefined;
}
