import { describe, expect, it } from 'vitest';
import { refusal, twimlOf } from './support';

describe('say', () => {
  it('speaks a text, or a text with its voice, language and loop', async () => {
    expect(await twimlOf([{ say: 'Hello' }])).toBe('<Response><Say>Hello</Say></Response>');
    expect(await twimlOf([{ say: { text: 'Hola', voice: 'Polly.Lupe', language: 'es-US', loop: 2 } }])).toBe(
      '<Response><Say voice="Polly.Lupe" language="es-US" loop="2">Hola</Say></Response>',
    );
  });

  it('fills its template from the call, escaped for XML', async () => {
    expect(await twimlOf([{ say: 'Calling from {{ trigger.call.From }} & co' }])).toBe(
      '<Response><Say>Calling from +15550100199 &amp; co</Say></Response>',
    );
  });

  it('refuses an empty text and an unknown option', () => {
    expect(refusal([{ say: '' }])).toBeDefined();
    expect(refusal([{ say: { text: 'Hi', speed: 2 } }])).toContain('unknown "speed"');
  });
});
