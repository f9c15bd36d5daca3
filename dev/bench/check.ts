/**
 * After the cold runs, `npm run bench` checks that every row wrote what it is said to: a run
 * that answered without writing would flatter its row, and the same-work port is only a fair
 * comparison while it writes exactly the entities the app writes. Runs in the bench's own
 * process, not in the children.
 */
import { isDeepStrictEqual } from 'node:util';
import { TableClient } from '@azure/data-tables';
import { partitionOf } from '../../lib/records/entities';
import { RECORDS_TABLE } from '../../lib/records/tables';

/** Where one run's SMS must be: one entity keyed by the SID, or a record with its event and listing rows. */
export interface Written {
  kind: 'one entity' | 'record';
  table: string;
  sid: string;
}

type Entity = Record<string, unknown>;

/** Everything about one SID in its partition, with the SID and the times made the same for every run. */
async function recordEntities(client: TableClient, sid: string): Promise<Entity[]> {
  const partition = partitionOf('message', sid);
  const entities: Entity[] = [];
  for await (const entity of client.listEntities<Entity>({
    queryOptions: { filter: `PartitionKey eq '${partition}'` },
  })) {
    if (!entity.rowKey?.includes(sid)) continue;
    // The table's own etag and Timestamp differ every time.
    const normal = JSON.stringify({ ...entity, etag: undefined, timestamp: undefined })
      .replaceAll(sid, '<sid>')
      .replaceAll(partition, '<partition>')
      .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, '<time>')
      .replace(/\|\d{16}\|/g, '|<position>|');
    entities.push(JSON.parse(normal) as Entity);
  }
  return entities.sort((a, b) => String(a.rowKey).localeCompare(String(b.rowKey)));
}

export async function checkRecorded(connectionString: string, written: Written[]): Promise<void> {
  const client = (table: string) =>
    TableClient.fromConnectionString(connectionString, table, { allowInsecureConnection: true });
  const apps = written.filter((run) => run.table === RECORDS_TABLE);
  if (!apps.length) return;
  const expected = await recordEntities(client(RECORDS_TABLE), apps[0]!.sid);
  if (expected.length !== 8) throw new Error(`The app wrote ${expected.length} entities for an SMS, not 8`);
  for (const { kind, table, sid } of written) {
    if (kind === 'one entity') {
      await client(table)
        .getEntity(sid, 'message')
        .catch((error: unknown) => {
          throw new Error(`No entity in ${table} at ${sid}/message`, { cause: error });
        });
      continue;
    }
    const found = await recordEntities(client(table), sid);
    if (!isDeepStrictEqual(found, expected))
      throw new Error(
        `${table} holds other entities for ${sid} than the app writes:\n${JSON.stringify(found, null, 1)}\nexpected\n${JSON.stringify(expected, null, 1)}`,
      );
  }
}
