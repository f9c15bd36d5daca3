/**
 * The fair naive port (naivePort.ts) doing the app's work for an inbound SMS: the record, its
 * listing rows and its first event, in one transaction, with the keys and properties the app
 * writes (lib/records/entities.ts, listing.ts, store.ts), written here by hand as a port
 * without the app's code would. `npm run bench` checks that the entities are the app's.
 */
import type { TransactionAction } from '@azure/data-tables';
import { SAME_WORK_TABLE } from './protocol';
import { registerNaivePort } from './naivePort';

const SHARDS = 8;
const LATEST_DATE = 8_640_000_000_000_000;

registerNaivePort(SAME_WORK_TABLE, (table, { MessageSid: sid, From: from, To: to, Body: body }) => {
  const shard = [...sid!].reduce((sum, char) => sum + char.charCodeAt(0), 0) % SHARDS;
  const partitionKey = `message|${shard}`;
  const at = new Date().toISOString();
  const position = `${String(LATEST_DATE - Date.parse(at)).padStart(16, '0')}|${sid}`;
  const filters = ['all', 'inbound'];
  for (const number of new Set([from, to]))
    if (number && /^\+[1-9]\d{1,14}$/.test(number))
      filters.push(`n|${encodeURIComponent(number)}`, `n|${encodeURIComponent(number)}|inbound`);
  const record = {
    kind: 'message',
    direction: 'inbound',
    status: 'received',
    from,
    to,
    body: body ?? '',
    createdAt: at,
    updatedAt: at,
  };
  const actions: TransactionAction[] = [
    ['create', { partitionKey, rowKey: `sid|${sid}`, ...record }],
    // A listing row carries its record, so a listing reads no record (lib/records/listing.ts).
    ...filters.map((filter): TransactionAction => [
      'upsert',
      { partitionKey, rowKey: `${filter}|${position}`, ...record, sid },
      'Replace',
    ]),
    [
      'create',
      {
        partitionKey,
        rowKey: `sid|${sid}|event|received`,
        status: 'received',
        source: 'sms-webhook',
        at,
        rule: 'default',
      },
    ],
  ];
  return table.submitTransaction(actions);
});
