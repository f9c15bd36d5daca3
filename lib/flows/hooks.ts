/**
 * The owner's own code in a flow: a `code` action runs a hook, a TypeScript file in the
 * top-level `hooks/` folder named for what it does (`hooks/orderStatus.ts` is the hook
 * `orderStatus`), written with defineHook. It runs in this process, with a deadline; it may
 * set variables and choose the next step. A throw or a timeout is the action's `failed`
 * outcome, logged with its stack and never heard by the caller.
 *
 * Hooks are compiled with the app (npm test type-checks them) and bundled into the package,
 * each in a chunk of its own that is loaded when a flow first runs it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface HookInput {
  /** The request's fields (`From`, `To`, `CallSid` or `MessageSid`, `Body`, `Digits`…), read only. */
  trigger: Readonly<Record<string, string>>;
  /** The flow's variables at this point, read only: return `set` to change them. */
  variables: Readonly<Record<string, unknown>>;
  /** An app setting by name (a token kept in Key Vault, say); undefined when it is not set. */
  setting: (name: string) => string | undefined;
  /** Aborted when the hook's deadline passes: hand it to fetch and the like. */
  signal: AbortSignal;
}

export interface HookResult {
  /** Variables to set (JSON values). */
  set?: Record<string, unknown>;
  /** The step to go to next; without it the flow takes the action's `ok` step, else the next action. */
  next?: string;
}

export type Hook = (input: HookInput) => Promise<HookResult | void> | HookResult | void;

/** Types a hook: `export default defineHook(async ({ trigger, variables }) => ({ set: { … } }))`. */
export const defineHook = (hook: Hook): Hook => hook;

export const HOOK_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
/** Written by `npm run package` beside the bundle: the hooks it holds (the sources are not shipped). */
export const HOOKS_MANIFEST = 'hooks.json';

/** The hooks an app root has: its `hooks/*.ts` files, or the package's manifest. */
export function hookNames(root: string): string[] {
  const manifest = join(root, HOOKS_MANIFEST);
  if (existsSync(manifest)) return JSON.parse(readFileSync(manifest, 'utf8')) as string[];
  const folder = join(root, 'hooks');
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => file.slice(0, -'.ts'.length))
    .filter((name) => HOOK_NAME.test(name))
    .sort();
}

/** Set by the package's bundler, where each hook is a module of its own in `hooks/` beside the bundle. */
declare const PACKAGED_HOOKS: boolean | undefined;

/** Where a hook's module is from here: in dist/ (compiled by tsc), or in the package. */
const hookSpecifier = (name: string) =>
  typeof PACKAGED_HOOKS !== 'undefined' && PACKAGED_HOOKS ? `./hooks/${name}.mjs` : `../../hooks/${name}.js`;

/** The hook's function: its module's default export. */
export async function loadHook(name: string): Promise<Hook> {
  if (!HOOK_NAME.test(name)) throw new Error(`"${name}" is not a hook name`);
  const module = (await import(hookSpecifier(name))) as { default?: unknown };
  // Compiled to CommonJS (dist/), the default export sits one level down.
  const exported = (module.default as { default?: unknown } | undefined)?.default ?? module.default;
  if (typeof exported !== 'function') throw new Error(`hooks/${name}.ts has no default export made with defineHook`);
  return exported as Hook;
}
