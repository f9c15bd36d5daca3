/**
 * Regular expressions from the flow file, run on RE2 (re2js, a JavaScript port of Google's RE2):
 * time linear in the text whatever the pattern, so no pattern and no text can stall the process
 * as `^(a+)+$` does on a backtracking engine. Case-insensitive over Unicode, as the `iu` flags
 * were. What RE2 cannot run (lookaround, backreferences) is refused when the flow file is read.
 * re2js is loaded on the first pattern only: a flow file with none never pays for it at cold start.
 */
import type { RE2JS } from 're2js';

/** The most text a pattern runs on: Twilio's longest message body. Longer text is cut first. */
export const MAX_PATTERN_TEXT = 1600;

export interface Pattern {
  readonly source: string;
  /** Whether the pattern matches anywhere in the text (its first MAX_PATTERN_TEXT characters). */
  test(text: string): boolean;
}

let engine: typeof RE2JS | undefined;

function re2(): typeof RE2JS {
  // A lazy require, not an import: ~9 ms of loading that only flows with a pattern pay.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (engine ??= (require('re2js') as typeof import('re2js')).RE2JS);
}

/**
 * JavaScript's `\uXXXX` and `\u{X…}` escapes as RE2's `\x{X…}`, so patterns written for the
 * JavaScript engine keep their meaning. Escapes are read in pairs, so `\\u0041` stays a backslash then `u0041`.
 */
const asRe2Syntax = (source: string): string =>
  source.replace(/\\(?:u\{([0-9a-fA-F]{1,6})\}|u([0-9a-fA-F]{4})|[\s\S])/g, (escape, braced?: string, four?: string) =>
    braced || four ? `\\x{${braced ?? four}}` : escape,
  );

/** Patterns by source: the flow file's patterns only, so it holds a handful. */
const compiled = new Map<string, Pattern>();

/** The compiled pattern; throws the engine's syntax error when RE2 cannot run it (see patternProblem). */
export function compilePattern(source: string): Pattern {
  let pattern = compiled.get(source);
  if (!pattern) {
    const engine = re2();
    const regex = engine.compile(asRe2Syntax(source), engine.CASE_INSENSITIVE);
    pattern = { source, test: (text) => regex.matcher(text.slice(0, MAX_PATTERN_TEXT)).find() };
    compiled.set(source, pattern);
  }
  return pattern;
}

/** Why the linear-time engine cannot run this pattern, or undefined when it can. */
export function patternProblem(source: string): string | undefined {
  try {
    compilePattern(source);
    return undefined;
  } catch (error) {
    // The engine quotes the pattern with the flag it was given (`(?i)(`): show the file's own text.
    const reason = String(error instanceof Error ? error.message : error)
      .replace(/^error parsing regexp: /, '')
      .replace('`(?i)', '`');
    return `is not a pattern the linear-time engine (RE2) can run: ${reason}`;
  }
}
