import { TableClient } from '@azure/data-tables';
import { beforeAll, describe, expect, it } from 'vitest';
import { deleteInBatches, MAX_TRANSACTION } from '../../../lib/records/deletion';
import { baseSettings } from '../../support/settings';

let table: TableClient;
beforeAll(async () => {
  table = TableClient.fromConnectionString(baseSettings.AzureWebJobsStorage, `Deletion${Date.now()}`, {
    allowInsecureConnection: true,
  });
  await table.createTable();
});

async function rows(partitionKey: string, count: number) {
  const keys = Array.from({ length: count }, (_, index) => ({ partitionKey, rowKey: String(index).padStart(4, '0') }));
  for (let start = 0; start < keys.length; start += MAX_TRANSACTION)
    await table.submitTransaction(keys.slice(start, start + MAX_TRANSACTION).map((key) => ['create', key]));
  return keys;
}
const left = async (partitionKey: string) => {
  let count = 0;
  for await (const page of table
    .listEntities({ queryOptions: { filter: `PartitionKey eq '${partitionKey}'` } })
    .byPage())
    count += page.length;
  return count;
};
const signal = () => AbortSignal.timeout(20_000);
/** The same client as the type lib/ declares it with (the ESM typing of @azure/data-tables). */
const lib = () => table as unknown as Parameters<typeof deleteInBatches>[0];

describe('deleteInBatches (Azurite)', () => {
  it('deletes more than one transaction holds, across partitions, and counts what it deleted', async () => {
    const a = await rows('a', 250);
    const b = await rows('b', 3);
    expect(await deleteInBatches(lib(), [...a, ...b, ...a.slice(0, 10)], signal())).toBe(253);
    expect(await left('a')).toBe(0);
    expect(await left('b')).toBe(0);
  });

  it('deletes the rest of a batch when some are already gone, as when another run got there first', async () => {
    const c = await rows('c', 5);
    await table.deleteEntity('c', c[2]!.rowKey);
    expect(await deleteInBatches(lib(), c, signal())).toBe(4);
    expect(await left('c')).toBe(0);
    expect(await deleteInBatches(lib(), c, signal())).toBe(0);
  });
});
