import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FLOWS, flowFileSchema, flowJsonSchema, hours, sayDefaults } from '../../../lib/flows/schema';

const problems = (file: object) =>
  flowFileSchema.safeParse(file).error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) ?? [];
const menu = { voice: { entry: 'menu', steps: { menu: { actions: [{ say: 'Hi' }] } } } };

describe('the flow file schema', () => {
  it('is what flows.schema.json says, for editors (npm run flows:schema writes it)', () => {
    const committed = JSON.parse(readFileSync(join(__dirname, '../../../flows.schema.json'), 'utf8')) as object;
    expect(committed).toEqual(flowJsonSchema());
  });

  it('without a flow file, greets with VOICE_GREETING and replies with SMS_REPLY, as the seed did', () => {
    expect(DEFAULT_FLOWS.voice!.steps[DEFAULT_FLOWS.voice!.entry]!.actions).toEqual([
      { say: '{{ settings.VOICE_GREETING }}' },
    ]);
    expect(DEFAULT_FLOWS.messaging!.reply).toBe('{{ settings.SMS_REPLY }}');
  });

  it('writes the default out as the schema reads it, so that no schema is built to have it', () => {
    expect(DEFAULT_FLOWS).toStrictEqual(
      flowFileSchema.parse({
        voice: { entry: 'greeting', steps: { greeting: { actions: [{ say: '{{ settings.VOICE_GREETING }}' }] } } },
        messaging: { reply: '{{ settings.SMS_REPLY }}' },
      }),
    );
  });

  it('names an unknown field, a step with no action, and an empty file part by where they are', () => {
    expect(problems({ ...menu, extra: 1 })).toEqual([': has unknown "extra"']);
    expect(problems({ voice: { entry: 'menu', steps: { menu: { actions: [] } } } })).toEqual([
      'voice.steps.menu.actions: must have at least one action',
    ]);
  });

  it('turns blocked callers away by rejecting them unless told otherwise', () => {
    expect(flowFileSchema.parse(menu).voice!.blocked).toBe('reject');
    expect(problems({ voice: { ...menu.voice, blocked: 'hang up' } })).toEqual([
      'voice.blocked: must be "reject", "busy" or { "step" }',
    ]);
  });

  it('lets a messaging rule match by at most one of keyword, startsWith or pattern', () => {
    expect(problems({ messaging: { rules: [{ keyword: 'hi', startsWith: 'order', reply: 'x' }] } })).toEqual([
      'messaging.rules.0: give at most one of keyword, startsWith or pattern',
    ]);
    expect(problems({ messaging: { rules: [{ pattern: '(?=x)', reply: 'x' }] } })).toHaveLength(1);
    expect(problems({ messaging: { rules: [{ actions: [{ say: 'no' }] }] } })).toEqual([
      'messaging.rules.0.actions.0: must be one action: set, switch, http, code, each alone in its object',
    ]);
  });

  it('gives each say the flow’s voice and language unless it names its own', () => {
    expect(sayDefaults({ voice: 'Polly.Lupe', language: 'es-US' })).toEqual({ voice: 'Polly.Lupe', language: 'es-US' });
    expect(sayDefaults({})).toEqual({});
  });
});

describe('hours', () => {
  const fields = (value: object) => hours.safeParse(value).error?.issues.map((issue) => issue.message) ?? [];

  it('takes an IANA time zone, suggesting the one meant', () => {
    expect(fields({ timeZone: 'Europe/Paris', weekly: { mon: ['09:00-17:00'] } })).toEqual([]);
    expect(fields({ timeZone: 'America/New_Yrok', weekly: {} })[0]).toMatch(
      /^must be an IANA time zone, like America\/New_York.*America\/New_York/,
    );
  });

  it('takes spans that end after they start, up to 24:00, and dates for closures', () => {
    expect(fields({ timeZone: 'UTC', weekly: { sat: ['10:00-24:00'] }, closures: ['2026-12-25'] })).toEqual([]);
    expect(fields({ timeZone: 'UTC', weekly: { mon: ['17:00-09:00'] } })).toEqual(['must end after it starts']);
    expect(fields({ timeZone: 'UTC', weekly: { mon: ['9-5'] } })).toContain('must be a time span like 09:00-17:30');
    expect(fields({ timeZone: 'UTC', weekly: {}, closures: ['25/12/2026'] })).toEqual([
      'must be a date like 2026-12-25',
    ]);
  });
});
