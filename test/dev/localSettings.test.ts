import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { localEnvironment } from '../../dev/localSettings';

const root = mkdtempSync(join(tmpdir(), 'local-settings-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('local.settings.json', () => {
  it('is optional, and the environment wins over it', () => {
    expect(localEnvironment(root, { PORT: '7072' })).toEqual({ PORT: '7072' });
    writeFileSync(join(root, 'local.settings.json'), JSON.stringify({ Values: { SMS_REPLY: 'file', PORT: '1' } }));
    expect(localEnvironment(root, { PORT: '7072' })).toEqual({ SMS_REPLY: 'file', PORT: '7072' });
  });

  it('that is not JSON is named with its path, and the fix', () => {
    writeFileSync(join(root, 'local.settings.json'), '{ "Values": { "SMS_REPLY": "x", } }');
    expect(() => localEnvironment(root, {})).toThrow(`${join(root, 'local.settings.json')} is not valid JSON`);
    expect(() => localEnvironment(root, {})).toThrow('compare it with local.settings.json.example');
  });
});
