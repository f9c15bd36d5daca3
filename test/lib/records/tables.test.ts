import { describe, expect, it } from 'vitest';
import type { Settings } from '../../../lib/config/settings';
import { keyPart, MAX_TEXT_LENGTH, storable, StoreUnavailableError, withTables } from '../../../lib/records/tables';

describe('keyPart', () => {
  it.each([['sent'], ['a/b#c?d\\e'], ['\u0000\u001f\u007f'], ['lone\ud800'], ['é'.repeat(1_000)]])(
    'makes %j a valid key part',
    (text) => {
      const part = keyPart(text);
      // eslint-disable-next-line no-control-regex -- the characters table keys refuse
      expect(part).not.toMatch(/[/\\#?\u0000-\u001f\u007f-\u009f]/);
      expect(part.length).toBeLessThanOrEqual(256 + 7);
    },
  );

  it('keeps distinct texts distinct', () => {
    const texts = ['a/b', 'a%2Fb', 'a b', 'a+b', 'x'.repeat(300), `${'x'.repeat(299)}y`];
    expect(new Set(texts.map(keyPart)).size).toBe(texts.length);
  });
});

describe('storable', () => {
  it('cuts texts to what a property holds and names them; keys and other values pass as they are', () => {
    const { entity, truncated } = storable({
      partitionKey: 'p',
      rowKey: 'r',
      body: 'b'.repeat(MAX_TEXT_LENGTH + 1),
      count: 3,
      note: 'ok',
    });
    expect(entity).toEqual({ partitionKey: 'p', rowKey: 'r', body: 'b'.repeat(MAX_TEXT_LENGTH), count: 3, note: 'ok' });
    expect(truncated).toEqual(['body']);
  });
});

describe('withTables', () => {
  it('turns a connection string the table client cannot use into "storage unavailable", not a TypeError', async () => {
    const settings = { AzureWebJobsStorage: 'garbage' } as Settings;
    await expect(withTables(settings, AbortSignal.timeout(5_000), async () => 'never')).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
  });
});
