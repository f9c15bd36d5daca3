/** The fair naive port (naivePort.ts) writing what the seed's port would: one entity per SMS. */
import { NAIVE_TABLE } from './protocol';
import { registerNaivePort } from './naivePort';

registerNaivePort(NAIVE_TABLE, (table, params) =>
  table.createEntity({
    partitionKey: params.MessageSid!,
    rowKey: 'message',
    from: params.From,
    to: params.To,
    body: params.Body,
  }),
);
