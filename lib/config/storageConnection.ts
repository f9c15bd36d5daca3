/**
 * A storage connection string (`AzureWebJobsStorage`), read in one place: settings check it,
 * the table client and health read what it names. Only what is written is returned: the
 * endpoints a name and key imply, or Azurite's, are the storage SDK's to derive.
 */

/** The services a connection string can name an endpoint for, with the name it uses. */
export const ENDPOINT_NAMES = {
  blob: 'BlobEndpoint',
  queue: 'QueueEndpoint',
  table: 'TableEndpoint',
  file: 'FileEndpoint',
} as const;
export type StorageService = keyof typeof ENDPOINT_NAMES;

export interface StorageConnection {
  /** `UseDevelopmentStorage=true`: Azurite on this machine. */
  development: boolean;
  accountName?: string;
  /** A secret: never logged, never shown. */
  accountKey?: string;
  /** A secret too. */
  sharedAccessSignature?: string;
  /** The endpoints written out (`TableEndpoint=…`), as written. */
  endpoints: Partial<Record<StorageService, string>>;
}

/**
 * The parts of a connection string: `Name=value` pairs separated by `;`, names in any case,
 * values kept whole (a key or a SAS holds `=` itself). Undefined when it is not such a list.
 */
export function parseStorageConnection(value: string): StorageConnection | undefined {
  const parts = new Map<string, string>();
  for (const segment of value.split(';')) {
    if (segment.trim() === '') continue;
    const at = segment.indexOf('=');
    if (at <= 0 || segment.slice(0, at).trim() === '') return undefined;
    parts.set(segment.slice(0, at).trim().toLowerCase(), segment.slice(at + 1).trim());
  }
  const endpoints: StorageConnection['endpoints'] = {};
  for (const [service, name] of Object.entries(ENDPOINT_NAMES) as Array<[StorageService, string]>) {
    const endpoint = parts.get(name.toLowerCase());
    if (endpoint !== undefined) endpoints[service] = endpoint;
  }
  return {
    development: parts.get('usedevelopmentstorage')?.toLowerCase() === 'true',
    accountName: parts.get('accountname') || undefined,
    accountKey: parts.get('accountkey') || undefined,
    sharedAccessSignature: parts.get('sharedaccesssignature') || undefined,
    endpoints,
  };
}
