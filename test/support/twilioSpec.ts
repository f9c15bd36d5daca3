/**
 * Checks the emulator against Twilio's own API description (twilio-oai/, a vendored subset of
 * twilio_api_v2010.json): every JSON answer the real SDK receives is validated with ajv against
 * the operation's response schema, with no property the schema lacks.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import type { Twilio } from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import spec from './twilio-oai/twilio_api_v2010.subset.json';

type Json = Record<string, unknown>;
export type HttpMethod = 'get' | 'post' | 'delete';

/** One request the SDK made and what came back. */
export interface Exchange {
  method: HttpMethod;
  path: string;
  status: number;
  body: unknown;
}

const RFC_2822 =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$/;

function strictCopy(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(strictCopy);
  if (!schema || typeof schema !== 'object') return schema;
  const copy: Json = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, strictCopy(value)]));
  // `nullable` with no `type` (encryption_details) means any value; ajv wants a type beside it.
  if (copy.nullable === true && copy.type === undefined) delete copy.nullable;
  // A property the description lacks is a divergence: an app could come to depend on it.
  if (copy.type === 'object' && copy.properties && copy.additionalProperties === undefined)
    copy.additionalProperties = false;
  return copy;
}

const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addFormat('date-time-rfc-2822', RFC_2822);
ajv.addFormat('uri', (value: string) => URL.canParse(value, 'https://api.twilio.com'));
ajv.addFormat('http-method', /^(GET|POST)$/);
ajv.addFormat('phone-number', /^(\+[1-9]\d{1,14}|client:\S+|sip:\S+)$/);
ajv.addFormat('currency', /^[A-Z]{3}$/);
for (const name of ['uri-map', 'phone-number-capabilities', 'endpoint', 'twiml', 'int64', 'date', 'date-time'])
  ajv.addFormat(name, true);
ajv.addSchema(strictCopy(spec) as Json, 'twilio');

const escape = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');
const templates = Object.keys(spec.paths).map((template) => ({
  template,
  pattern: new RegExp(`^${template.replace(/\./g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`),
}));

/** The description's path template for a request path, e.g. /2010-04-01/Accounts/{AccountSid}/Calls.json. */
export function templateOf(path: string): string | undefined {
  return templates.find(({ pattern }) => pattern.test(path))?.template;
}

const validators = new Map<string, ValidateFunction>();

function responseValidator(template: string, method: HttpMethod, status: number): ValidateFunction | undefined {
  const operation = (spec.paths as Record<string, Record<string, { responses?: Record<string, { content?: Json }> }>>)[
    template
  ]?.[method];
  if (!operation?.responses?.[String(status)]?.content) return undefined;
  const pointer = `twilio#/paths/${escape(template)}/${method}/responses/${status}/content/${escape('application/json')}/schema`;
  let validate = validators.get(pointer);
  if (!validate) {
    validate = ajv.compile({ $ref: pointer });
    validators.set(pointer, validate);
  }
  return validate;
}

/** The operations whose answers were checked against their schema in this test file. */
export const validatedOperations = new Set<string>();

/** Fails with ajv's findings when an answer does not match its operation's schema. */
export function expectMatchesSpec(exchange: Exchange): void {
  const template = templateOf(exchange.path);
  if (!template) throw new Error(`${exchange.path} is not in the vendored description`);
  if (exchange.status >= 400) return;
  if (exchange.status === 204) {
    if (
      !(spec.paths as Record<string, Record<string, { responses: Json }>>)[template]?.[exchange.method]?.responses[
        '204'
      ]
    )
      throw new Error(`${exchange.method} ${template} answered 204, which it does not describe`);
    validatedOperations.add(`${exchange.method.toUpperCase()} ${template} 204`);
    return;
  }
  const validate = responseValidator(template, exchange.method, exchange.status);
  if (!validate) throw new Error(`${exchange.method} ${template} does not describe a ${exchange.status} answer`);
  if (!validate(exchange.body)) {
    throw new Error(
      `${exchange.method.toUpperCase()} ${exchange.path} ${exchange.status} does not match the description: ${ajv.errorsText(validate.errors, { separator: '\n  ' })}`,
    );
  }
  validatedOperations.add(`${exchange.method.toUpperCase()} ${template} ${exchange.status}`);
}

/** The request-body properties of an operation that have a declared type (enum, integer, number, boolean). */
export function typedParameters(template: string, method: HttpMethod): Array<{ name: string; type: string }> {
  const operation = (
    spec.paths as Record<
      string,
      Record<string, { requestBody?: { content: Record<string, { schema: { properties: Record<string, Json> } }> } }>
    >
  )[template]?.[method];
  const properties = operation?.requestBody?.content['application/x-www-form-urlencoded']?.schema.properties ?? {};
  return Object.entries(properties).flatMap(([name, schema]) => {
    const resolved =
      typeof schema.$ref === 'string'
        ? (spec.components.schemas as Record<string, Json>)[schema.$ref.split('/').pop()!]!
        : schema;
    if (resolved.enum) return [{ name, type: 'enum' }];
    return ['integer', 'number', 'boolean'].includes(String(resolved.type))
      ? [{ name, type: String(resolved.type) }]
      : [];
  });
}

/**
 * The real twilio SDK, sending its requests to the emulator and keeping each answer as
 * received, so a test can check the raw JSON against the description.
 */
export async function recordingTwilioClient(
  baseUrl: string,
  accountSid: string,
  authToken: string,
): Promise<{ client: Twilio; exchanges: Exchange[] }> {
  const twilio = (await import('twilio')).default;
  const exchanges: Exchange[] = [];
  class RecordingRequestClient extends twilio.RequestClient {
    override async request<TData>(opts: RequestClient.RequestOptions<TData>) {
      const target = new URL(opts.uri);
      const response = await super.request({ ...opts, uri: `${baseUrl}${target.pathname}${target.search}` });
      const raw: unknown = response.body;
      const body: unknown = typeof raw === 'string' && raw !== '' ? JSON.parse(raw) : raw;
      exchanges.push({
        method: opts.method.toLowerCase() as HttpMethod,
        path: target.pathname,
        status: response.statusCode,
        body,
      });
      return response;
    }
  }
  return { client: twilio(accountSid, authToken, { httpClient: new RecordingRequestClient() }), exchanges };
}
