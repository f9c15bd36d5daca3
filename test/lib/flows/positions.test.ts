import { describe, expect, it } from 'vitest';
import { parseWithPositions, pathSegments } from '../../../lib/flows/positions';

describe('positions in a flow file', () => {
  it('splits a problem’s path into the keys and indexes it names', () => {
    expect(pathSegments('voice.steps.menu.actions[1].gather')).toEqual([
      'voice',
      'steps',
      'menu',
      'actions',
      1,
      'gather',
    ]);
  });

  it('names the line and column of the first syntax error, in words', () => {
    const parsed = parseWithPositions('{\n  "voice": {\n    "entry": "menu",\n  }\n}');
    expect(parsed.syntax).toEqual([
      {
        path: '(the file)',
        message: 'is not JSON: a "name" expected (a comma too many before } ?)',
        line: 4,
        column: 3,
      },
    ]);
    expect(parseWithPositions('{ // note\n}').syntax[0]!.message).toBe('is not JSON: comments are not allowed in JSON');
  });

  it('places a problem at its value, or at the object a missing field belongs in', () => {
    const source = '{\n  "voice": {\n    "entry": "menu",\n    "steps": {}\n  }\n}';
    const { value, syntax, locate } = parseWithPositions(source);
    expect(syntax).toEqual([]);
    expect(value).toEqual({ voice: { entry: 'menu', steps: {} } });
    expect(locate({ path: 'voice.entry', message: 'is not a step' })).toMatchObject({ line: 3, column: 14 });
    expect(locate({ path: 'voice.steps.menu', message: 'is missing' })).toMatchObject({ line: 4, column: 14 });
    expect(locate({ path: '(the file)', message: 'x' })).toEqual({ path: '(the file)', message: 'x' });
  });
});
