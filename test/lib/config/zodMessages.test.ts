/**
 * No schema of the app answers with zod's bare defaults ("Invalid input", "Too small: …"):
 * every node of every schema (the flow file, each voice action, the settings, the API bodies
 * and queries) is fed values of every wrong kind, and every message that comes back, nested
 * ones included, must say what was expected.
 */
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { nearest } from '../../../lib/config/zodMessages';
import { settingsSchema } from '../../../lib/config/settings';
import { ACTION_KINDS, ACTIONS } from '../../../lib/flows/actions';
import { flowFileSchema } from '../../../lib/flows/schema';
import { callRequest, messageRequest } from '../../../lib/outbound/schemas';
import { listQuery } from '../../../lib/records/listing';
import { callSid, messageSid, phoneNumber } from '../../../lib/twilio/ids';

const ZOD_DEFAULT = /^(Invalid|Too (small|big)|Unrecognized key|Expected|String must|Number must|Array must)/;

const WRONG: unknown[] = [
  undefined,
  null,
  12345,
  -1,
  1.5,
  0,
  true,
  '',
  'x',
  ' ',
  '5550100000',
  'http://insecure.example',
  'x'.repeat(5000),
  [],
  [1],
  Array.from({ length: 20 }, () => 'x'),
  {},
  { unknown: 1 },
];

type Def = { type: string } & Record<string, unknown>;
const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Every schema node under `root`, each once. */
function nodes(root: z.ZodType): z.ZodType[] {
  const seen = new Set<z.ZodType>();
  const visit = (schema: unknown) => {
    if (!schema || typeof schema !== 'object' || seen.has(schema as z.ZodType)) return;
    const node = schema as z.ZodType;
    seen.add(node);
    const def = defOf(node);
    const children: unknown[] = [];
    if (def.type === 'object') children.push(...Object.values(def.shape as Record<string, unknown>));
    for (const key of ['element', 'innerType', 'keyType', 'valueType', 'in', 'out', 'left', 'right'])
      if (def[key]) children.push(def[key]);
    if (Array.isArray(def.options)) children.push(...(def.options as unknown[]));
    if (Array.isArray(def.items)) children.push(...(def.items as unknown[]));
    children.forEach(visit);
  };
  visit(root);
  return [...seen];
}

/** Every message of an error, the options a union tried included. */
function messages(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => [
    issue.message,
    ...(issue.code === 'invalid_union' ? issue.errors.flatMap((option) => messages(option)) : []),
    ...(issue.code === 'invalid_key' || issue.code === 'invalid_element' ? messages(issue.issues) : []),
  ]);
}

const SCHEMAS: Record<string, z.ZodType> = {
  'the flow file': flowFileSchema,
  ...Object.fromEntries(ACTION_KINDS.map((kind) => [`the ${kind} action`, ACTIONS[kind].schema])),
  'the settings': settingsSchema as unknown as z.ZodType,
  'POST /api/calls': callRequest as unknown as z.ZodType,
  'POST /api/messages': messageRequest,
  'GET /api/calls and /api/messages (query)': listQuery,
  'a call SID': callSid,
  'a message SID': messageSid,
  'a phone number': phoneNumber,
};

describe('every schema message says what was expected', () => {
  it.each(Object.entries(SCHEMAS))('%s', (_name, schema) => {
    const vague = new Set<string>();
    let checked = 0;
    // A transform alone expects what the check before it let through: it is fed through its pipe.
    for (const node of nodes(schema).filter((node) => defOf(node).type !== 'transform')) {
      for (const value of WRONG) {
        const result = node.safeParse(value);
        if (result.success) continue;
        for (const message of messages(result.error.issues)) {
          checked++;
          if (ZOD_DEFAULT.test(message) || message.trim() === '') vague.add(`${defOf(node).type}: ${message}`);
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
    expect([...vague]).toEqual([]);
  });

  it('suggests the nearest of a set of values only for a near miss', () => {
    expect(nearest('sequental', ['simultaneous', 'sequential'])).toBe('sequential');
    expect(nearest('xyz', ['simultaneous', 'sequential'])).toBeUndefined();
  });
});
