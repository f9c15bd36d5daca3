import { describe, expect, it } from 'vitest';
import { isTemplate, render, templateProblems, type TemplateScope } from '../../../lib/flows/template';

const scope = (over: Partial<TemplateScope> = {}): TemplateScope => ({
  flow: { variables: { name: 'Ada', tries: 2 } },
  trigger: { call: { From: '+15550100001', Digits: '1' } },
  widgets: { crm: { status: 200, parsed: { tier: 'vip' } } },
  settings: { VOICE_GREETING: 'Hello Monkey!', SMS_REPLY: 'Thanks' },
  ...over,
});

describe('flow templates (Liquid, as in Studio)', () => {
  it('renders variables, the trigger, widgets, settings and filters', () => {
    expect(
      render(
        '{{ settings.VOICE_GREETING }} {{ flow.variables.name | upcase }} from {{ trigger.call.From }}: {{ widgets.crm.parsed.tier }}',
        scope(),
      ),
    ).toBe('Hello Monkey! ADA from +15550100001: vip');
  });

  it('renders a missing variable empty, as Studio does, and a default when given', () => {
    expect(render('[{{ flow.variables.nobody }}]', scope())).toBe('[]');
    expect(render('{{ flow.variables.nobody | default: "there" }}', scope())).toBe('there');
  });

  it('leaves plain text alone, braces included', () => {
    expect(isTemplate('Press {1}')).toBe(false);
    expect(render('Press {1}', scope())).toBe('Press {1}');
  });

  it('keeps what a caller sends as text: it is data, never a template', () => {
    const said = scope({ trigger: { call: { SpeechResult: '{{ settings.SMS_REPLY }}</Say><Dial>+1900</Dial>' } } });
    expect(render('You said {{ trigger.call.SpeechResult }}', said)).toBe(
      'You said {{ settings.SMS_REPLY }}</Say><Dial>+1900</Dial>',
    );
  });

  it('reads own properties only: nothing of a prototype', () => {
    expect(render('[{{ flow.variables.constructor }}{{ flow.variables.__proto__ }}]', scope())).toBe('[]');
  });

  it('cannot include files or layouts', () => {
    expect(() => render("{% include 'package.json' %}", scope())).toThrow();
    expect(() => render("{% render '/etc/passwd' %}", scope())).toThrow();
  });

  it('stops a template that would render without end', () => {
    expect(() =>
      render('{% for i in (1..100000000) %}{% for j in (1..100000000) %}x{% endfor %}{% endfor %}', scope()),
    ).toThrow();
  });

  it('renders outputs of plain variables as Liquid does, without loading it', () => {
    const texts = [
      '{{ flow.variables.tries }}x{{flow.variables.name}}',
      '{{ trigger.call.Nope }}!',
      '{{ widgets.crm.status }}',
    ];
    for (const text of texts) expect(render(text, scope())).toBe(render(`${text}{% if true %}{% endif %}`, scope()));
    expect(render('{{ widgets.crm.parsed }}', scope())).toBe(
      render('{{ widgets.crm.parsed }}{%- if true -%}{%- endif -%}', scope()),
    );
  });

  it('names each problem at start: syntax, unknown filters, roots, old placeholders', () => {
    expect(templateProblems('Hello {{ flow.variables.name }}')).toEqual([]);
    expect(templateProblems('Hello {{ flow.variables.name ')[0]).toMatch(/^is not a valid template: /);
    expect(templateProblems('{{ flow.variables.name | shout }}')[0]).toMatch(/undefined filter: shout/);
    expect(templateProblems('{{ env.TWILIO_AUTH_TOKEN | upcase }}')).toEqual([
      '"env" is not something a template can read: use flow, trigger, widgets, settings',
    ]);
    expect(templateProblems('{{ settings.TWILIO_AUTH_TOKEN }}')).toEqual([
      'settings.TWILIO_AUTH_TOKEN is not something a flow can read: of the settings only {{ settings.VOICE_GREETING }} and {{ settings.SMS_REPLY }} are',
    ]);
    expect(templateProblems('{{ env.TWILIO_AUTH_TOKEN }}')).toEqual([
      '"env" is not something a template can read: use flow, trigger, widgets, settings',
    ]);
    expect(templateProblems('Call from {From}. {VOICE_GREETING}')).toEqual([
      '{From} is the old placeholder syntax: write {{ trigger.call.From }} (in a text rule, {{ trigger.message.From }})',
      '{VOICE_GREETING} is the old placeholder syntax: write {{ settings.VOICE_GREETING }}',
    ]);
  });
});
