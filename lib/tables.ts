import type { TableClient } from '@azure/data-tables' with { 'resolution-mode': 'import' };
import type { Settings } from './config';
import { describeError, UnavailableError } from './http';

/** One entity a record (row `record`) and its events (rows `event|…`), partitioned by SID. */
export const RECORDS_TABLE = 'TwilioRecords';
/** Newest-first listings: one partition per filter, rows keyed by inverted creation time. */
export const INDEX_TABLE = 'TwilioRecordIndex';

export interface Tables {
  records: TableClient;
  index: TableClient;
}

type StorageSettings = Pick<
  Settings,
  'AzureWebJobsStorage' | 'AzureWebJobsStorage__tableServiceUri' | 'AzureWebJobsStorage__credential' | 'AzureWebJobsStorage__clientId'
>;

/** Storage could not be reached or refused a write: the caller answers 503 so Twilio retries. */
export class StoreUnavailableError extends UnavailableError {
  constructor(cause: unknown) {
    super(`Record storage is unavailable: ${describeError(cause)}`, 'Records are unavailable; try again later');
    this.name = 'StoreUnavailableError';
  }
}

/** Any failure of a storage operation, as a StoreUnavailableError. */
export function storeFailure(error: unknown): StoreUnavailableError {
  return error instanceof StoreUnavailableError ? error : new StoreUnavailableError(error);
}

// A webhook has 15 s in all: a few quick retries, then 503 and Twilio's own retry.
const retryOptions = { maxRetries: 2, retryDelayInMs: 100, maxRetryDelayInMs: 500 };

let cached: { settings: StorageSettings; tables: Promise<Tables> } | undefined;

/** The clients of the record tables; a failed start is forgotten so the next request tries again. */
export function getTables(settings: StorageSettings): Promise<Tables> {
  if (cached?.settings !== settings) {
    const tables = openTables(settings);
    cached = { settings, tables };
    tables.catch(() => {
      if (cached?.tables === tables) cached = undefined;
    });
  }
  return cached.tables;
}

async function openTables(settings: StorageSettings): Promise<Tables> {
  const { TableClient } = await import('@azure/data-tables');
  let client: (table: string) => TableClient;
  if (settings.AzureWebJobsStorage__tableServiceUri) {
    // The storage account's primaryEndpoints.table ends in a slash; the client adds its own.
    const endpoint = settings.AzureWebJobsStorage__tableServiceUri.replace(/\/+$/, '');
    const credential = await identityCredential(settings);
    client = (table) => new TableClient(endpoint, table, credential, { retryOptions });
  } else {
    const connection = settings.AzureWebJobsStorage ?? '';
    client = (table) => TableClient.fromConnectionString(connection, table, { retryOptions, allowInsecureConnection: isLoopback(connection) });
  }
  return { records: client(RECORDS_TABLE), index: client(INDEX_TABLE) };
}

/**
 * Runs `operation` on the tables. They are not created up front, which would cost the first
 * request after a cold start a round trip: Bicep creates them in Azure. When one is missing (a
 * new storage account, Azurite's data deleted) both are created and the operation runs once
 * more, which every operation here allows.
 */
export async function withTables<T>(settings: StorageSettings, operation: (tables: Tables) => Promise<T>): Promise<T> {
  const tables = await getTables(settings);
  try {
    return await operation(tables);
  } catch (error) {
    if (!tableMissing(error)) throw error;
  }
  await Promise.all([tables.records.createTable(), tables.index.createTable()]);
  return operation(tables);
}

const tableMissing = (error: unknown) =>
  storageStatus(error) === 404 && (error as { details?: { odataError?: { code?: unknown } } }).details?.odataError?.code === 'TableNotFound';

/** In Azure the user-assigned identity named by clientId; elsewhere whoever is signed in (az login). */
async function identityCredential(settings: StorageSettings) {
  const identity = await import('@azure/identity');
  return settings.AzureWebJobsStorage__credential === 'managedidentity'
    ? new identity.ManagedIdentityCredential(
        settings.AzureWebJobsStorage__clientId ? { clientId: settings.AzureWebJobsStorage__clientId } : {},
      )
    : new identity.DefaultAzureCredential();
}

/** Shared-key auth over plain http is allowed only for Azurite on this machine. */
function isLoopback(connection: string): boolean {
  const endpoint = /TableEndpoint=(http:\/\/[^;]+)/i.exec(connection)?.[1];
  if (!endpoint || !URL.canParse(endpoint)) return false;
  return ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(endpoint).hostname);
}

/** The HTTP status of a storage error, when storage answered at all. */
export const storageStatus = (error: unknown): number | undefined => {
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
};
