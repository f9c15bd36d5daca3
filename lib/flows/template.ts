/**
 * Text in a flow is a Liquid template, in the syntax Twilio Studio users know:
 * `{{ flow.variables.name }}`, `{{ trigger.call.From }}`, `{{ widgets.crm.parsed.name }}`,
 * filters such as `{{ flow.variables.name | default: "there" }}`. It is rendered by liquidjs,
 * sandboxed: no file system (includes and layouts find nothing), own properties only, unknown
 * filters refused, and limits on what one template may parse, render and allocate. A variable
 * that has no value renders empty, as in Studio. The result is text: it reaches TwiML only
 * through the SDK's builders.
 *
 * liquidjs is required on first use (a file of its own in the package), so a flow without
 * templates never pays for it; a text with neither `{{` nor `{%` is returned as it is, and one
 * that only outputs plain variables is rendered here, as Liquid would.
 */
import type { Liquid, Template } from 'liquidjs';

/** What a template can read. */
export interface TemplateScope {
  flow: { variables: Record<string, unknown> };
  /** The request that started this turn, by channel: `trigger.call.From`, `trigger.message.Body`. */
  trigger: { call?: Record<string, string>; message?: Record<string, string> };
  /** Results of the flow's named actions (an `http` answer: `widgets.crm.parsed`, `widgets.crm.status`). */
  widgets: Record<string, unknown>;
  /** The settings a flow may read. */
  settings: { VOICE_GREETING: string; SMS_REPLY: string };
}

export const TEMPLATE_ROOTS = ['flow', 'trigger', 'widgets', 'settings'] as const;

/** Limits a flow file's author cannot raise: a template is small text, rendered in well under a millisecond. */
const LIMITS = { parseLimit: 64 * 1024, renderLimit: 50, memoryLimit: 1024 * 1024 } as const;

const OLD_PLACEHOLDER = /(?<!\{)\{([A-Za-z][A-Za-z0-9_]*)\}(?!\})/g;

let engine: Liquid | undefined;

function liquid(): Liquid {
  if (!engine) {
    // A lazy require: about 40 ms of loading that only flows with real templates pay.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Liquid } = require('liquidjs') as typeof import('liquidjs');
    engine = new Liquid({
      templates: {},
      strictFilters: true,
      strictVariables: false,
      ownPropertyOnly: true,
      jsTruthy: false,
      ...LIMITS,
    });
  }
  return engine;
}

export const isTemplate = (text: string): boolean => text.includes('{{') || text.includes('{%');

/** `{{ flow.variables.name }}`: an output of one variable, no filter, no tag. */
const SIMPLE_OUTPUT = /\{\{\s*([A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*)\s*\}\}/g;

/**
 * The variables a template outputs, when outputs of plain variables are all it has: those need
 * no template engine (most flow texts, the default flow's included), so the webhook's cold path
 * does not load one for them.
 */
function simpleOutputs(text: string): string[][] | undefined {
  if (isTemplate(text.replace(SIMPLE_OUTPUT, ''))) return undefined;
  return [...text.matchAll(SIMPLE_OUTPUT)].map((match) => match[1]!.split('.'));
}

/** A plain variable's value as Liquid outputs it; undefined for what only Liquid knows how to show. */
function lookup(scope: TemplateScope, path: string[]): string | undefined {
  let value: unknown = scope;
  for (const name of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, name)) return '';
    value = (value as Record<string, unknown>)[name];
  }
  if (value === undefined || value === null) return '';
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : undefined;
}

function renderSimple(text: string, scope: TemplateScope): string | undefined {
  if (!simpleOutputs(text)) return undefined;
  let complex = false;
  const rendered = text.replace(SIMPLE_OUTPUT, (_whole, path: string) => {
    const value = lookup(scope, path.split('.'));
    if (value === undefined) complex = true;
    return value ?? '';
  });
  return complex ? undefined : rendered;
}

const parsed = new Map<string, Template[]>();

function parse(text: string): Template[] {
  const known = parsed.get(text);
  if (known) return known;
  const templates = liquid().parse(text);
  // Keyed by the flow file's own texts, never by a request's: bounded by the file.
  parsed.set(text, templates);
  return templates;
}

/** The text with its template rendered; plain text as it is. */
export function render(text: string, scope: TemplateScope): string {
  if (!isTemplate(text)) return text;
  const simple = renderSimple(text, scope);
  if (simple !== undefined) return simple;
  const result: unknown = liquid().renderSync(parse(text), scope);
  return String(result);
}

/**
 * What is wrong with a flow text, for the check at start: a syntax error, an unknown filter, a
 * variable outside the four roots, or a placeholder in the old `{From}` syntax.
 */
export function templateProblems(text: string): string[] {
  const problems = [...text.matchAll(OLD_PLACEHOLDER)].map(([whole, name]) => oldPlaceholderProblem(whole, name!));
  if (!isTemplate(text)) return problems;
  problems.push(...unknownSettings(text));
  const simple = simpleOutputs(text);
  if (simple)
    return [
      ...problems,
      ...simple
        .map(([root]) => root!)
        .filter(notARoot)
        .map(rootProblem),
    ];
  try {
    const engine = liquid();
    const templates = engine.parse(text);
    problems.push(...engine.globalVariablesSync(templates).filter(notARoot).map(rootProblem));
  } catch (error) {
    problems.push(`is not a valid template: ${firstLine(error)}`);
  }
  return problems;
}

const notARoot = (name: string) => !(TEMPLATE_ROOTS as readonly string[]).includes(name);
const rootProblem = (name: string) =>
  `"${name}" is not something a template can read: use ${TEMPLATE_ROOTS.join(', ')}`;

function oldPlaceholderProblem(whole: string, name: string): string {
  if (SETTINGS.includes(name)) return `${whole} is the old placeholder syntax: write {{ settings.${name} }}`;
  if (name.length > 1 && name === name.toUpperCase()) return settingProblem(whole);
  return `${whole} is the old placeholder syntax: write {{ trigger.call.${name} }} (in a text rule, {{ trigger.message.${name} }})`;
}

const SETTINGS = ['VOICE_GREETING', 'SMS_REPLY'];
const settingProblem = (what: string) =>
  `${what} is not something a flow can read: of the settings only {{ settings.VOICE_GREETING }} and {{ settings.SMS_REPLY }} are`;

/** `{{ settings.TWILIO_AUTH_TOKEN }}` would render empty; say so at start instead. */
const unknownSettings = (text: string) =>
  [...text.matchAll(/\bsettings\.([A-Za-z_][\w]*)/g)]
    .filter(([, name]) => !SETTINGS.includes(name!))
    .map(([whole]) => settingProblem(whole));

const firstLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
