/**
 * Deleting many entities without competing with webhooks: in transactions of at most 100
 * (table storage's limit, and one partition's), one partition at a time, in the order given,
 * so a caller that puts an entity last knows it goes last (erasure.ts and retention.ts put a
 * record after the rows that are found through it).
 */
import type { TableClient, TransactionAction } from '@azure/data-tables' with { 'resolution-mode': 'import' };
import { storageStatus } from './tables';

export interface EntityKey {
  partitionKey: string;
  rowKey: string;
}

/** Table storage takes at most 100 operations in a transaction. */
export const MAX_TRANSACTION = 100;

/** Deletes the entities, in order, in transactions of ≤ 100 per partition; answers how many were there. */
export async function deleteInBatches(table: TableClient, keys: EntityKey[], signal: AbortSignal): Promise<number> {
  const byPartition = new Map<string, EntityKey[]>();
  const seen = new Set<string>();
  for (const key of keys) {
    const id = `${key.partitionKey}\n${key.rowKey}`;
    if (seen.has(id)) continue;
    seen.add(id);
    byPartition.set(key.partitionKey, [...(byPartition.get(key.partitionKey) ?? []), key]);
  }
  let deleted = 0;
  for (const partition of byPartition.values()) {
    for (let start = 0; start < partition.length; start += MAX_TRANSACTION) {
      deleted += await deleteBatch(table, partition.slice(start, start + MAX_TRANSACTION), signal);
    }
  }
  return deleted;
}

/**
 * One transaction; when an entity is already gone (another run, or a concurrent one, got there
 * first) the transaction fails as a whole with 404, and the batch is deleted one by one.
 */
async function deleteBatch(table: TableClient, batch: EntityKey[], signal: AbortSignal): Promise<number> {
  const actions = batch.map(({ partitionKey, rowKey }): TransactionAction => ['delete', { partitionKey, rowKey }]);
  try {
    await table.submitTransaction(actions, { abortSignal: signal });
    return batch.length;
  } catch (error) {
    if (storageStatus(error) !== 404) throw error;
  }
  let deleted = 0;
  for (const { partitionKey, rowKey } of batch) {
    try {
      await table.deleteEntity(partitionKey, rowKey, { abortSignal: signal });
      deleted += 1;
    } catch (error) {
      if (storageStatus(error) !== 404) throw error;
    }
  }
  return deleted;
}
