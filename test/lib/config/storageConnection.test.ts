import { describe, expect, it } from 'vitest';
import { parseStorageConnection } from '../../../lib/config/storageConnection';

describe('parseStorageConnection', () => {
  it('reads Azurite by its short form, in any case', () => {
    expect(parseStorageConnection('UseDevelopmentStorage=true')).toEqual({ development: true, endpoints: {} });
    expect(parseStorageConnection('usedevelopmentstorage=TRUE;')?.development).toBe(true);
    expect(parseStorageConnection('UseDevelopmentStorage=false')?.development).toBe(false);
  });

  it('reads an account name and key, keeping the "=" a base64 key ends with', () => {
    const connection = parseStorageConnection(
      'DefaultEndpointsProtocol=https;AccountName=stapp;AccountKey=a2V5a2V5==;EndpointSuffix=core.windows.net',
    );
    expect(connection).toEqual({ development: false, accountName: 'stapp', accountKey: 'a2V5a2V5==', endpoints: {} });
  });

  it('returns every endpoint written out, blob, queue, table and file, as written', () => {
    const connection = parseStorageConnection(
      [
        'AccountName=devstoreaccount1',
        'AccountKey=a2V5',
        'BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1',
        'QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1',
        'TableEndpoint=http://127.0.0.1:10002/devstoreaccount1',
        'FileEndpoint=https://stapp.file.core.windows.net/',
      ].join(';'),
    );
    expect(connection?.endpoints).toEqual({
      blob: 'http://127.0.0.1:10000/devstoreaccount1',
      queue: 'http://127.0.0.1:10001/devstoreaccount1',
      table: 'http://127.0.0.1:10002/devstoreaccount1',
      file: 'https://stapp.file.core.windows.net/',
    });
  });

  it('reads a SAS with its own "=" and "&", names in any case, spaces around the parts', () => {
    const connection = parseStorageConnection(
      ' tableendpoint = https://stapp.table.core.windows.net/ ; SharedAccessSignature=sv=2022-11-02&ss=t&sig=abc%3D ;',
    );
    expect(connection).toEqual({
      development: false,
      sharedAccessSignature: 'sv=2022-11-02&ss=t&sig=abc%3D',
      endpoints: { table: 'https://stapp.table.core.windows.net/' },
    });
  });

  it('refuses what is not Name=value pairs separated by ";"', () => {
    for (const value of ['garbage', 'AccountName=x;junk', '=value', ' =value']) {
      expect(parseStorageConnection(value), value).toBeUndefined();
    }
  });

  it('leaves an empty value out rather than reading it as given', () => {
    expect(parseStorageConnection('AccountName=;AccountKey=')).toEqual({ development: false, endpoints: {} });
  });
});
