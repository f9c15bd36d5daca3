import * as z from 'zod';
// Every check without a message of its own says what was expected (not zod's "Invalid input").
import './zodMessages';
import { AppError, type Problem } from '../errors';
import { secureOrigin } from './secureUrl';
import { ENDPOINT_NAMES, parseStorageConnection, type StorageService } from './storageConnection';

/**
 * Every setting the app reads, in one schema. The README's settings table,
 * local.settings.json.example and the Bicep app settings are checked against it.
 *
 * `requirement` says when a setting must be present: `always`, `azure` (only when running
 * in Azure, where the request URL cannot be trusted for signatures), `storage` (one of the
 * two ways to reach storage) or `optional`.
 */
export type Requirement = 'always' | 'azure' | 'storage' | 'optional';
interface SettingMeta {
  description: string;
  requirement: Requirement;
  secret?: boolean;
  example?: string;
}
const meta = (m: SettingMeta) => m as unknown as Record<string, unknown>;

export const DEFAULT_VOICE_GREETING = 'Hello Monkey!';
/** About 13 months: a year of history to compare with, and no more (docs/records.md weighs the choice). */
export const DEFAULT_RECORD_RETENTION_DAYS = 400;
export const DEFAULT_SMS_REPLY = 'Hey, thanks for the ping! Twilio and Azure rock!';

const text = (fallback: string) =>
  z
    .string()
    .optional()
    .transform((value) => (value === undefined || value.trim() === '' ? fallback : value));

/**
 * A storage connection string the table client can use: `UseDevelopmentStorage=true`, an
 * account name with its key, or a table endpoint with a SAS. Problems are named; the value,
 * which holds a key, never is.
 */
function checkConnectionString(value: string, ctx: z.RefinementCtx): void {
  const connection = parseStorageConnection(value);
  if (!connection) {
    ctx.addIssue({
      code: 'custom',
      message: 'is not a storage connection string (expected Name=value pairs separated by ";")',
    });
    return;
  }
  if (connection.development) return;
  for (const [service, endpoint] of Object.entries(connection.endpoints) as Array<[StorageService, string]>) {
    if (!URL.canParse(endpoint)) {
      ctx.addIssue({ code: 'custom', message: `has a ${ENDPOINT_NAMES[service]} that is not a URL` });
      return;
    }
  }
  const withKey = connection.accountName && connection.accountKey;
  const withSas = connection.endpoints.table && connection.sharedAccessSignature;
  if (!withKey && !withSas) {
    ctx.addIssue({
      code: 'custom',
      message:
        'must be UseDevelopmentStorage=true, or name AccountName and AccountKey, or TableEndpoint and SharedAccessSignature',
    });
  }
}

/** A Twilio account SID: the one definition, used by settings and the dev tools. */
export const accountSid = z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'must be "AC" followed by 32 hex characters');

/** Twilio's magic test number, the default local number: Twilio's test credentials accept it as a sender. */
/** OPT_OUT_SCOPE: a STOP applies to the whole line (every number of ours), or only to the number it was sent to. */
export const OPT_OUT_SCOPES = ['line', 'sender'] as const;

export const LOCAL_PHONE_NUMBER = '+15005550006';

const emptyAsUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

/** A retention in whole days, at least one. */
const days = z.coerce
  .number({ error: 'must be a whole number of days' })
  .int('must be a whole number of days')
  .min(1, 'must be at least 1 day');

export const settingsSchema = z
  .object({
    TWILIO_ACCOUNT_SID: z
      .string({ error: 'is required' })
      .trim()
      .pipe(accountSid)
      .meta(
        meta({
          requirement: 'always',
          description: 'Twilio account SID (`AC` + 32 hex).',
          example: 'AC00000000000000000000000000000000',
        }),
      ),
    TWILIO_AUTH_TOKEN: z
      .string({ error: 'is required' })
      .trim()
      .min(1, 'must not be empty (an empty token would accept unsigned webhooks)')
      .meta(
        meta({
          requirement: 'always',
          secret: true,
          description:
            'Twilio auth token: signs webhooks and authenticates REST calls. A Key Vault reference in Azure.',
        }),
      ),
    TWILIO_PHONE_NUMBER: z
      .string({ error: 'is required' })
      .trim()
      .pipe(z.e164())
      .meta(
        meta({
          requirement: 'always',
          description: 'Your Twilio number in E.164; the default caller ID and SMS sender.',
          example: '+15550100000',
        }),
      ),
    PUBLIC_BASE_URL: z.preprocess(emptyAsUndefined, secureOrigin.optional()).meta(
      meta({
        requirement: 'azure',
        description:
          'The https origin Twilio calls, e.g. `https://<app>.azurewebsites.net`. Rebuilds the URL for signature checks and builds callback URLs.',
      }),
    ),
    VOICE_GREETING: text(DEFAULT_VOICE_GREETING).meta(
      meta({
        requirement: 'optional',
        description: `What an incoming call hears. Default \`${DEFAULT_VOICE_GREETING}\`.`,
      }),
    ),
    SMS_REPLY: text(DEFAULT_SMS_REPLY).meta(
      meta({ requirement: 'optional', description: `The reply to an incoming SMS. Default \`${DEFAULT_SMS_REPLY}\`.` }),
    ),
    PHONE_FLOWS: z.preprocess(emptyAsUndefined, z.string().trim().min(1).optional()).meta(
      meta({
        requirement: 'optional',
        description:
          'The flow file: what the line does with calls and texts. A path relative to the app root; default `flows.json`. Examples in `flows/examples/`.',
        example: 'flows.json',
      }),
    ),
    OPT_OUT_SCOPE: z
      .preprocess(emptyAsUndefined, z.enum(OPT_OUT_SCOPES, { error: 'must be line or sender' }).default('line'))
      .meta(
        meta({
          requirement: 'optional',
          description:
            'Whom a STOP protects a number from: `line` (default: every number of the line stops texting it) or `sender` (only the number it texted).',
          example: 'line',
        }),
      ),
    FLOW_HTTP_SECRET: z.preprocess(emptyAsUndefined, z.string().trim().min(1).optional()).meta(
      meta({
        requirement: 'optional',
        secret: true,
        description: "Secret. Signs the flow's http requests ([how to check](docs/flows.md#the-signature)).",
      }),
    ),
    TWILIO_API_BASE_URL: z.preprocess(emptyAsUndefined, secureOrigin.optional()).meta(
      meta({
        requirement: 'optional',
        description: 'Local only: send Twilio REST calls here (the local Twilio emulator) instead of api.twilio.com.',
      }),
    ),
    RECORD_RETENTION_DAYS: z.preprocess(emptyAsUndefined, days.default(DEFAULT_RECORD_RETENTION_DAYS)).meta(
      meta({
        requirement: 'optional',
        description: `Days a call or message record is kept with its events and listing rows, and a text conversation after its last activity; older ones are deleted daily. Default \`${DEFAULT_RECORD_RETENTION_DAYS}\`.`,
        example: String(DEFAULT_RECORD_RETENTION_DAYS),
      }),
    ),
    RECORDING_RETENTION_DAYS: z.preprocess(emptyAsUndefined, days.optional()).meta(
      meta({
        requirement: 'optional',
        description:
          "Days after which a call's recordings are deleted at Twilio (the record keeps when). Unset: kept until the record goes.",
      }),
    ),
    AzureWebJobsStorage: z.preprocess(emptyAsUndefined, z.string().superRefine(checkConnectionString).optional()).meta(
      meta({
        requirement: 'storage',
        secret: true,
        description: 'Storage connection string; `UseDevelopmentStorage=true` (Azurite) locally.',
        example: 'UseDevelopmentStorage=true',
      }),
    ),
    AzureWebJobsStorage__tableServiceUri: z
      .preprocess(emptyAsUndefined, z.url({ protocol: /^https?$/ }).optional())
      .meta(
        meta({
          requirement: 'storage',
          description: 'In Azure: the table endpoint, reached with the managed identity.',
        }),
      ),
    // The Functions host's own storage, by identity; the app's code does not read it.
    AzureWebJobsStorage__blobServiceUri: z
      .preprocess(emptyAsUndefined, z.url({ protocol: /^https?$/ }).optional())
      .meta(
        meta({ requirement: 'optional', description: "In Azure: the blob endpoint, the Functions host's own state." }),
      ),
    AzureWebJobsStorage__queueServiceUri: z
      .preprocess(emptyAsUndefined, z.url({ protocol: /^https?$/ }).optional())
      .meta(
        meta({
          requirement: 'storage',
          description:
            'In Azure: the queue endpoint, reached with the managed identity; texts the app sends on its own are queued there.',
        }),
      ),
    AzureWebJobsStorage__credential: z
      .preprocess(emptyAsUndefined, z.literal('managedidentity').optional())
      .meta(meta({ requirement: 'optional', description: 'In Azure: `managedidentity`.' })),
    AzureWebJobsStorage__clientId: z
      .preprocess(emptyAsUndefined, z.string().optional())
      .meta(meta({ requirement: 'optional', description: 'In Azure: the client ID of the user-assigned identity.' })),
  })
  .superRefine((settings, ctx) => {
    if (!settings.AzureWebJobsStorage && !settings.AzureWebJobsStorage__tableServiceUri) {
      ctx.addIssue({
        code: 'custom',
        path: ['AzureWebJobsStorage'],
        message: 'is required (or AzureWebJobsStorage__tableServiceUri for identity-based access)',
      });
    }
    if (!settings.AzureWebJobsStorage && settings.AzureWebJobsStorage__tableServiceUri) {
      if (!settings.AzureWebJobsStorage__queueServiceUri)
        ctx.addIssue({
          code: 'custom',
          path: ['AzureWebJobsStorage__queueServiceUri'],
          message: 'is required with AzureWebJobsStorage__tableServiceUri: texts the app sends on its own are queued',
        });
    }
    if (runningInAzure() && !settings.PUBLIC_BASE_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['PUBLIC_BASE_URL'],
        message: 'is required in Azure: Twilio signs the public URL, which the function cannot see',
      });
    }
  });

export type Settings = z.output<typeof settingsSchema>;
export type SettingName = keyof z.input<typeof settingsSchema>;

/** Each setting's documentation, read from the schema's metadata (README and contract tests use it). */
export function settingsTable(): Array<{ name: SettingName } & SettingMeta> {
  const shape = settingsSchema.shape;
  return (Object.keys(shape) as SettingName[]).map((name) => ({
    name,
    ...(shape[name].meta() as unknown as SettingMeta),
  }));
}

function runningInAzure(): boolean {
  return Boolean(process.env.WEBSITE_INSTANCE_ID);
}

const settingLine = ({ field, message }: Problem) => `${field}: ${message}`;

/** Settings that are missing or invalid: 503 until they are fixed, each named with why, never with its value. */
export class ConfigError extends AppError {
  constructor(readonly problems: Problem[]) {
    super(503, 'The app is not configured', {
      problems,
      log: 'error',
      logMessage: `Invalid settings: ${problems.map(settingLine).join('; ')}`,
    });
    this.name = 'ConfigError';
  }

  /** One line per bad setting, `NAME: why`, for health and the start-time message. */
  get lines(): string[] {
    return this.problems.map(settingLine);
  }
}

/** Validates settings from an environment; throws one ConfigError naming every bad setting (never its value). */
export function loadSettings(env: Record<string, string | undefined> = process.env): Settings {
  const result = settingsSchema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => ({
    field: issue.path.map(String).join('.'),
    message: issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message,
  }));
  throw new ConfigError(problems);
}

let cached: Settings | undefined;

/** The settings of this process, validated once. */
export function getSettings(): Settings {
  cached ??= loadSettings(process.env);
  return cached;
}

/** Forgets the validated settings so the next call reads the environment again (tests, local host reload). */
export function resetSettings(): void {
  cached = undefined;
}
