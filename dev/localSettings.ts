import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const LOCAL_SETTINGS_FILE = 'local.settings.json';

/** The `Values` of local.settings.json, as `func start` reads them; an absent file is no settings. */
export function readLocalSettings(root: string): Record<string, string> {
  const file = join(root, LOCAL_SETTINGS_FILE);
  if (!existsSync(file)) return {};
  let parsed: { Values?: Record<string, unknown> };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, unknown> };
  } catch (error) {
    throw new Error(
      `${file} is not valid JSON (${error instanceof Error ? error.message : String(error)}); compare it with local.settings.json.example`,
    );
  }
  return Object.fromEntries(
    Object.entries(parsed.Values ?? {})
      .filter(([, value]) => value !== null && value !== undefined)
      .map(([key, value]) => [key, String(value)]),
  );
}

/** Settings from local.settings.json under the environment: like `func start`, environment variables win. */
export function localEnvironment(
  root: string,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string | undefined> {
  return { ...readLocalSettings(root), ...env };
}
