import { describe, expect, it } from 'vitest';
import { gather, gatherTarget, spokenKeyword, type Gather } from '../../../../lib/flows/actions/gather';
import { answerCallback } from '../../../../lib/flows/voice';
import { call, flowOf, settings, XML } from './support';

const value = (input: object): Gather => gather.schema.parse(input);

describe('gather: which step the caller chose', () => {
  const menu = value({
    branches: { '1': 'sales', '22#': 'support' },
    keywords: { sales: 'sales', 'tech support': 'support' },
  });

  it('goes by the keys pressed first, then by the words spoken', async () => {
    expect(gatherTarget(menu, '1', undefined)).toBe('sales');
    expect(gatherTarget(menu, '22#', undefined)).toBe('support');
    expect(gatherTarget(menu, '1', 'tech support please')).toBe('sales');
    expect(gatherTarget(menu, '9', 'tech support please')).toBe('support');
    expect(gatherTarget(menu, '9', undefined)).toBeUndefined();
    expect(gatherTarget(menu, undefined, undefined)).toBeUndefined();
  });

  it('matches keywords as whole words, case and punctuation ignored', async () => {
    expect(spokenKeyword({ sales: 's' }, 'SALES!')).toBe('s');
    expect(spokenKeyword({ 'Tech-Support': 't' }, 'I need tech support, now')).toBe('t');
    expect(spokenKeyword({ sales: 's' }, 'salesman')).toBeUndefined();
    expect(spokenKeyword({ '!!!': 'x' }, '!!!')).toBeUndefined();
    expect(spokenKeyword({ señor: 'es' }, 'Hola SEÑOR')).toBe('es');
  });

  it('takes no key the branches do not own (a key named like an Object property)', async () => {
    expect(gatherTarget(value({ branches: { '1': 'sales' } }), 'constructor', undefined)).toBeUndefined();
  });

  it('names every step it leads to, by its place inside the gather', async () => {
    expect(
      gather.steps!(value({ branches: { '1': 'a' }, keywords: { b: 'b' }, noInput: 'c', otherwise: 'd' })),
    ).toEqual([
      { path: ['branches', '1'], step: 'a' },
      { path: ['keywords', 'b'], step: 'b' },
      { path: ['noInput'], step: 'c' },
      { path: ['otherwise'], step: 'd' },
    ]);
    expect(gather.ends).toBe(true);
  });
});

describe('gather: its callback', () => {
  const flows = flowOf(
    [
      {
        gather: { prompt: 'Press 1', branches: { '1': 'sales' }, noInput: 'quiet', otherwise: 'operator', retries: 1 },
      },
      { say: 'after' },
    ],
    ['sales', 'quiet', 'operator'],
  );
  const answer = async (params: object, attempt: number) =>
    (await answerCallback(
      'gather',
      { step: 'menu', at: 0, turn: 2, try: attempt },
      flows,
      { ...call, ...params },
      settings,
    ))!;

  it('goes to the branch pressed', async () => {
    expect(await answer({ Digits: '1' }, 1)).toEqual({
      twiml: `${XML}<Response><Say>sales</Say></Response>`,
      facts: { digits: '1', turn: 2, step: 'sales' },
    });
  });

  it('asks again with the reprompt, then takes noInput for silence and otherwise for the unexpected', async () => {
    expect(await answer({}, 1)).toEqual({
      twiml: `${XML}<Response><Say>Sorry, I didn't get that.</Say><Gather input="dtmf" action="/api/twilio/flow/gather?step=menu&amp;at=0&amp;try=2&amp;turn=3" method="POST" actionOnEmptyResult="true"><Say>Press 1</Say></Gather></Response>`,
      facts: { turn: 2, outcome: 'no input, asked again' },
    });
    expect((await answer({}, 2)).facts).toEqual({ turn: 2, outcome: 'no input', step: 'quiet' });
    expect((await answer({ Digits: '7' }, 2)).facts).toEqual({
      digits: '7',
      turn: 2,
      outcome: 'no match',
      step: 'operator',
    });
  });

  it('without noInput or otherwise, runs the actions after the gather', async () => {
    const bare = flowOf([{ gather: { branches: { '1': 'sales' }, retries: 0 } }, { say: 'after' }], ['sales']);
    expect(
      await answerCallback(
        'gather',
        { step: 'menu', at: 0, turn: 1, try: 1 },
        bare,
        { ...call, Digits: '5' },
        settings,
      ),
    ).toEqual({
      twiml: `${XML}<Response><Say>after</Say></Response>`,
      facts: { digits: '5', turn: 1, outcome: 'no match' },
    });
  });
});
