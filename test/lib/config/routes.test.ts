import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import host from '../../../host.json';
import { ROUTE_PREFIX, ROUTES, routePath, routeUrl, type RouteName } from '../../../lib/config/routes';

const FUNCTIONS = join(__dirname, '../../../functions');
/** Which function files register each route: `route: ROUTES.name`. */
const registered = new Map<string, string[]>();
for (const file of readdirSync(FUNCTIONS).filter((name) => name.endsWith('.ts'))) {
  const source = readFileSync(join(FUNCTIONS, file), 'utf8');
  for (const [, name] of source.matchAll(/route:\s*ROUTES\.(\w+)/g))
    registered.set(name!, [...(registered.get(name!) ?? []), file]);
}

describe('routes: each HTTP route declared once', () => {
  it('has every route registered by exactly one function file, the one named after it', () => {
    for (const name of Object.keys(ROUTES)) expect(registered.get(name), name).toEqual([`${name}.ts`]);
  });

  it('declares every route a function file registers', () => {
    expect([...registered.keys()].filter((name) => !Object.hasOwn(ROUTES, name))).toEqual([]);
  });

  it('registers no route typed out instead of taken from ROUTES', () => {
    for (const file of readdirSync(FUNCTIONS).filter((name) => name.endsWith('.ts'))) {
      expect(readFileSync(join(FUNCTIONS, file), 'utf8'), file).not.toMatch(/route:\s*['"`]/);
    }
  });

  it('puts host.json’s prefix before a route, and an origin before that', () => {
    expect(ROUTE_PREFIX).toBe(host.extensions.http.routePrefix);
    expect(routePath('voiceWebhook')).toBe(`/${ROUTE_PREFIX}/twilio/voice`);
    expect(routePath('getCall')).toBe(`/${ROUTE_PREFIX}/calls/{sid}`);
    expect(routeUrl('https://example.azurewebsites.net', 'statusCallback')).toBe(
      `https://example.azurewebsites.net/${ROUTE_PREFIX}/twilio/status`,
    );
  });

  it('has no two routes of the same path unless they answer different methods', () => {
    const byPath = new Map<string, RouteName[]>();
    for (const [name, path] of Object.entries(ROUTES) as Array<[RouteName, string]>)
      byPath.set(path, [...(byPath.get(path) ?? []), name]);
    const methods = (name: string) =>
      readFileSync(join(FUNCTIONS, `${name}.ts`), 'utf8')
        .match(/methods:\s*\[([^\]]*)\]/)![1]!
        .replace(/\s/g, '');
    for (const names of byPath.values()) {
      const seen = names.map(methods);
      expect(new Set(seen).size, names.join(', ')).toBe(seen.length);
    }
  });
});
