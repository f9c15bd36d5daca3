import type { TableClient } from '@azure/data-tables' with { 'resolution-mode': 'import' };
import { createHash } from 'node:crypto';
import type { Settings } from '../config/settings';
import { DEADLINES, isTimeout } from '../config/deadlines';
import { parseStorageConnection, type StorageService } from '../config/storageConnection';
import { BadRequestError, describeError, UnavailableError } from '../errors';

/** Records, their events and their listing rows, in shard partitions (entities.ts). */
export const RECORDS_TABLE = 'TwilioRecords';
/** Idempotency keys of POST /api/calls and /api/messages with the answer each one got. */
export const IDEMPOTENCY_TABLE = 'TwilioIdempotency';
/** Campaigns, their recipients and each sender's shared rate budget (lib/campaigns). */
export const CAMPAIGNS_TABLE = 'TwilioCampaigns';
/** Text conversations, who each line is talking with, and when each waiting one times out (conversations.ts). */
export const CONVERSATIONS_TABLE = 'TwilioConversations';

export interface Tables {
  records: TableClient;
  idempotency: TableClient;
  campaigns: TableClient;
  conversations: TableClient;
}

type StorageSettings = Pick<
  Settings,
  | 'AzureWebJobsStorage'
  | 'AzureWebJobsStorage__tableServiceUri'
  | 'AzureWebJobsStorage__credential'
  | 'AzureWebJobsStorage__clientId'
>;

/** Storage could not be reached, did not answer in time, or failed: the caller answers 503 so Twilio retries. */
export class StoreUnavailableError extends UnavailableError {
  constructor(cause: unknown) {
    const why = isTimeout(cause) ? `no answer within ${DEADLINES.storageMs / 1000} s` : storageAnswer(cause);
    super(`Record storage is unavailable: ${why}`, 'Records are unavailable; try again later');
    this.name = 'StoreUnavailableError';
  }
}

/**
 * What storage answered, in a line: `storage answered 403 AuthorizationPermissionMismatch`, its
 * code read from the JSON or XML error body it sent; any other failure by name and message.
 */
function storageAnswer(error: unknown): string {
  const status = storageStatus(error);
  if (status === undefined) return describeError(error);
  const code =
    storageErrorCode(error) || /<Code>([^<]+)<\/Code>/.exec(error instanceof Error ? error.message : '')?.[1];
  return `storage answered ${status}${code ? ` ${String(code)}` : ''}`;
}

/**
 * Storage refused a value (its 400): retrying cannot fix that, so the caller gets a 4xx and
 * Twilio does not deliver the same request again forever.
 */
export class StoreRefusedError extends BadRequestError {
  constructor(readonly detail: string) {
    super(400, 'A value in this request cannot be stored');
    this.name = 'StoreRefusedError';
  }
}

/** Any failure of a storage operation as one of the two above. */
export function storeFailure(error: unknown): StoreUnavailableError | StoreRefusedError {
  if (error instanceof StoreUnavailableError || error instanceof StoreRefusedError) return error;
  if (storageStatus(error) === 400) return new StoreRefusedError(describeError(error));
  return new StoreUnavailableError(error);
}

// A few quick retries inside the deadline, then 503 and Twilio's own retry.
const retryOptions = { maxRetries: 2, retryDelayInMs: 100, maxRetryDelayInMs: 500 };

/**
 * The table clients live as long as the process, one set per storage settings value. No
 * request waits for tables to be created: they exist (Bicep declares them), or the first
 * operation that finds one missing creates them (withTables). A set that could not be made
 * is forgotten, so the next request tries again.
 */
const openedTables = new Map<string, Promise<Tables>>();

const storageKey = (settings: StorageSettings) =>
  JSON.stringify([
    settings.AzureWebJobsStorage,
    settings.AzureWebJobsStorage__tableServiceUri,
    settings.AzureWebJobsStorage__credential,
    settings.AzureWebJobsStorage__clientId,
  ]);

function tablesFor(settings: StorageSettings): Promise<Tables> {
  const key = storageKey(settings);
  let tables = openedTables.get(key);
  if (!tables) {
    const opening = openTables(settings);
    opening.catch(() => openedTables.delete(key));
    openedTables.set(key, opening);
    tables = opening;
  }
  return tables;
}

/**
 * Runs storage work with the tables of these settings, within `signal`'s deadline; any
 * failure comes out as StoreUnavailableError or StoreRefusedError.
 */
export async function withTables<T>(
  settings: StorageSettings,
  signal: AbortSignal,
  work: (tables: Tables) => Promise<T>,
): Promise<T> {
  try {
    const tables = await untilAborted(tablesFor(settings), signal);
    try {
      return await work(tables);
    } catch (error) {
      if (storageErrorCode(error) !== 'TableNotFound') throw error;
      // The tables are declared in Bicep; locally Azurite starts empty (or its data was
      // deleted): create them, then do the work again (every step of it can be repeated).
      await Promise.all(Object.values(tables).map((table) => table.createTable({ abortSignal: signal })));
      return await work(tables);
    }
  } catch (error) {
    throw storeFailure(error);
  }
}

/**
 * Table storage's own error code (`TableNotFound`, `ResourceNotFound`…), which only table
 * storage answers with: in the body of a single operation's answer, on the error itself for a
 * transaction's (whose body is a multipart batch).
 */
export const storageErrorCode = (error: unknown): unknown => {
  const failure = error as
    | { statusCode?: unknown; code?: unknown; response?: { parsedBody?: { odataError?: { code?: unknown } } } }
    | undefined;
  return (
    failure?.response?.parsedBody?.odataError?.code ??
    (typeof failure?.statusCode === 'number' ? failure.code : undefined)
  );
};

async function openTables(settings: StorageSettings): Promise<Tables> {
  try {
    const client = await clientFactory(settings);
    return {
      records: client(RECORDS_TABLE),
      idempotency: client(IDEMPOTENCY_TABLE),
      campaigns: client(CAMPAIGNS_TABLE),
      conversations: client(CONVERSATIONS_TABLE),
    };
  } catch (error) {
    // A connection string the SDK cannot use fails here, not at start: storage is unavailable.
    throw new StoreUnavailableError(error);
  }
}

async function clientFactory(settings: StorageSettings): Promise<(table: string) => TableClient> {
  const { TableClient } = await import('@azure/data-tables');
  if (settings.AzureWebJobsStorage__tableServiceUri) {
    // The storage account's primaryEndpoints.table ends in a slash; the client adds its own.
    const endpoint = settings.AzureWebJobsStorage__tableServiceUri.replace(/\/+$/, '');
    const credential = await identityCredential(settings);
    return (table) => withEscapedSeparators(new TableClient(endpoint, table, credential, { retryOptions }));
  }
  const connection = settings.AzureWebJobsStorage ?? '';
  const allowInsecureConnection = isLoopback(connection);
  return (table) =>
    withEscapedSeparators(
      TableClient.fromConnectionString(connection, table, { retryOptions, allowInsecureConnection }),
    );
}

const SEPARATORS = /[\u2028\u2029]/g;

/**
 * U+2028 and U+2029 go to storage as the JSON escapes `\u2028` and `\u2029`. JSON may hold them
 * raw, and single writes do, but Azurite reads a transaction's body with JavaScript's line
 * handling, for which they end a line: it cannot find the sub-request's URL and answers 500
 * (400 for a one-operation transaction), so a text holding one was never recorded. Escaped, they
 * are the same text to every JSON reader (Azure Table Storage's as well), and come back as they
 * were. Outside JSON strings a body has none: keys travel percent-encoded in URLs.
 */
function withEscapedSeparators(client: TableClient): TableClient {
  client.pipeline.addPolicy(
    {
      name: 'escapeLineSeparators',
      sendRequest(request, next) {
        if (typeof request.body === 'string' && /[\u2028\u2029]/.test(request.body)) {
          request.body = request.body.replace(SEPARATORS, (char) => `\\u${char.charCodeAt(0).toString(16)}`);
          // An earlier policy counted the body's bytes; an escape is longer than the character.
          if (request.headers.has('Content-Length'))
            request.headers.set('Content-Length', Buffer.byteLength(request.body));
        }
        return next(request);
      },
    },
    { afterPhase: 'Serialize' },
  );
  return client;
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new StoreUnavailableError(signal.reason));
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(new StoreUnavailableError(signal.reason));
    signal.addEventListener('abort', abort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}

/** In Azure the user-assigned identity named by clientId; elsewhere whoever is signed in (az login). Tables and queues share it. */
export async function identityCredential(
  settings: Pick<Settings, 'AzureWebJobsStorage__credential' | 'AzureWebJobsStorage__clientId'>,
) {
  const identity = await import('@azure/identity');
  return settings.AzureWebJobsStorage__credential === 'managedidentity'
    ? new identity.ManagedIdentityCredential(
        settings.AzureWebJobsStorage__clientId ? { clientId: settings.AzureWebJobsStorage__clientId } : {},
      )
    : new identity.DefaultAzureCredential();
}

/** Shared-key auth over plain http is allowed only for Azurite on this machine. */
export function isLoopback(connection: string, service: StorageService = 'table'): boolean {
  const endpoint = parseStorageConnection(connection)?.endpoints[service];
  if (!endpoint || !URL.canParse(endpoint)) return false;
  const url = new URL(endpoint);
  return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

/** The HTTP status of a storage error, when storage answered at all. */
export const storageStatus = (error: unknown): number | undefined => {
  const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === 'number' ? status : undefined;
};

/** A table string property holds 64 KiB of UTF-16: 32,768 code units, less a margin. */
export const MAX_TEXT_LENGTH = 32_000;
/** Keys hold up to 1 KiB; a key part longer than this is replaced by its hash. */
const MAX_KEY_PART_LENGTH = 256;

/**
 * Any text as part of a PartitionKey or RowKey: keys refuse `/`, `\`, `#`, `?` and control
 * characters, so the text is percent-encoded (after lone surrogates are replaced, which
 * encodeURIComponent would throw on), and a long one is hashed. Distinct texts stay distinct.
 */
export function keyPart(text: string): string {
  const encoded = encodeURIComponent(text.toWellFormed());
  return encoded.length <= MAX_KEY_PART_LENGTH
    ? encoded
    : `sha256~${createHash('sha256').update(encoded).digest('hex')}`;
}

/** The entity with every text property made storable (well-formed, cut to MAX_TEXT_LENGTH), and the names of those cut. */
export function storable<T extends Record<string, unknown> & { partitionKey: string; rowKey: string }>(
  entity: T,
): { entity: T; truncated: string[] } {
  const truncated: string[] = [];
  const result: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(entity)) {
    if (typeof value !== 'string' || name === 'partitionKey' || name === 'rowKey') {
      result[name] = value;
      continue;
    }
    const text = value.toWellFormed();
    if (text.length > MAX_TEXT_LENGTH) truncated.push(name);
    result[name] = text.slice(0, MAX_TEXT_LENGTH).toWellFormed();
  }
  return { entity: result as T, truncated };
}
