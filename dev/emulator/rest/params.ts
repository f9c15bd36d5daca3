/**
 * Reading a REST request's form as Twilio does: each parameter's type (enum, integer,
 * boolean, URL) is checked, and a bad value is a 400 naming it, never silently ignored.
 */
import { TwilioApiError } from './resources';

export type Form = Map<string, string[]>;

export const E164 = /^\+[1-9]\d{1,14}$/;
export const isCallAddress = (value: string) => E164.test(value) || /^(client|sip):\S+$/.test(value);
export const isHttpUrl = (value: string) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol);

/** Twilio's documentation names no code for a badly typed value; 20001 is what the emulator chose (see README). */
export const INVALID_PARAMETER = 20001;

export const first = (form: Form, name: string) => form.get(name)?.[0];

const invalid = (name: string, value: string, expected: string) =>
  new TwilioApiError(400, INVALID_PARAMETER, `Invalid ${name}: "${value}" is not ${expected}`);

export function oneOf<T extends string>(form: Form, name: string, values: readonly T[]): T | undefined {
  const value = first(form, name);
  if (value === undefined) return undefined;
  // Twilio reads HTTP methods in any case (GET, get); other enums are exact.
  const match = values.find(
    (allowed) => allowed === value || (name.endsWith('Method') && allowed === value.toUpperCase()),
  );
  if (match === undefined) throw invalid(name, value, `one of ${values.join(', ')}`);
  return match;
}

export const method = (form: Form, name: string) => oneOf(form, name, ['GET', 'POST'] as const);

/** Every value of a list parameter (repeated, or space- or comma-separated), each one of `values`. */
export function listOf(form: Form, name: string, values: readonly string[]): string[] | undefined {
  const given = form.get(name);
  if (given === undefined) return undefined;
  const items = given.flatMap((value) => value.split(/[\s,]+/)).filter(Boolean);
  for (const item of items) if (!values.includes(item)) throw invalid(name, item, `one of ${values.join(', ')}`);
  return items;
}

export function integer(form: Form, name: string, range: { min?: number; max?: number } = {}): number | undefined {
  const value = first(form, name);
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value.trim())) throw invalid(name, value, 'an integer');
  const number = Number(value);
  if ((range.min !== undefined && number < range.min) || (range.max !== undefined && number > range.max)) {
    throw invalid(name, value, `between ${range.min ?? '-∞'} and ${range.max ?? '∞'}`);
  }
  return number;
}

export function boolean(form: Form, name: string): boolean | undefined {
  const value = first(form, name);
  if (value === undefined) return undefined;
  if (/^true$/i.test(value)) return true;
  if (/^false$/i.test(value)) return false;
  throw invalid(name, value, 'true or false');
}

/** An http(s) URL, with Twilio's #connection overrides allowed after it. */
export function url(form: Form, name: string, code = 21205): string | undefined {
  const value = first(form, name);
  if (value === undefined || value === '') return value;
  const [target = ''] = value.split('#');
  if (!isHttpUrl(target)) throw new TwilioApiError(400, code, `${name} is not a valid URL: ${value}`);
  return value;
}

/** A parameter's type as Twilio's API description declares it: one of some values, or a JSON type. */
export type ParameterType = readonly string[] | 'integer' | 'number' | 'boolean';

const HTTP_METHODS = ['GET', 'POST'] as const;

/**
 * The typed parameters of each operation, as in twilio_api_v2010.json (its request bodies):
 * checked before anything is done, so a typo is Twilio's 400 and never silently ignored.
 */
export const TYPED_PARAMETERS = {
  createCall: {
    Method: HTTP_METHODS,
    FallbackMethod: HTTP_METHODS,
    StatusCallbackMethod: HTTP_METHODS,
    RecordingStatusCallbackMethod: HTTP_METHODS,
    AsyncAmdStatusCallbackMethod: HTTP_METHODS,
    Timeout: 'integer',
    Record: 'boolean',
    MachineDetectionTimeout: 'integer',
    MachineDetectionSpeechThreshold: 'integer',
    MachineDetectionSpeechEndThreshold: 'integer',
    MachineDetectionSilenceTimeout: 'integer',
    TimeLimit: 'integer',
  },
  updateCall: {
    Method: HTTP_METHODS,
    Status: ['canceled', 'completed'],
    FallbackMethod: HTTP_METHODS,
    StatusCallbackMethod: HTTP_METHODS,
    TimeLimit: 'integer',
  },
  createMessage: {
    MaxPrice: 'number',
    ProvideFeedback: 'boolean',
    Attempt: 'integer',
    ValidityPeriod: 'integer',
    ForceDelivery: 'boolean',
    ContentRetention: ['retain', 'discard'],
    AddressRetention: ['retain', 'obfuscate'],
    SmartEncoded: 'boolean',
    TrafficType: ['free'],
    ShortenUrls: 'boolean',
    ScheduleType: ['fixed'],
    SendAsMms: 'boolean',
    RiskCheck: ['enable', 'disable'],
  },
  updateMessage: { Status: ['canceled'] },
  incomingPhoneNumber: {
    SmsFallbackMethod: HTTP_METHODS,
    SmsMethod: HTTP_METHODS,
    StatusCallbackMethod: HTTP_METHODS,
    VoiceCallerIdLookup: 'boolean',
    VoiceFallbackMethod: HTTP_METHODS,
    VoiceMethod: HTTP_METHODS,
    EmergencyStatus: ['Active', 'Inactive'],
    VoiceReceiveMode: ['voice', 'fax'],
  },
} as const satisfies Record<string, Record<string, ParameterType>>;

export function checkTypes(form: Form, parameters: Record<string, ParameterType>): void {
  for (const [name, type] of Object.entries(parameters)) {
    if (type === 'integer') integer(form, name);
    else if (type === 'boolean') boolean(form, name);
    else if (type === 'number') decimal(form, name);
    else if (name.endsWith('Method')) method(form, name);
    else oneOf(form, name, type);
  }
}

function decimal(form: Form, name: string): number | undefined {
  const value = first(form, name);
  if (value === undefined) return undefined;
  if (value.trim() === '' || !Number.isFinite(Number(value))) throw invalid(name, value, 'a number');
  return Number(value);
}

/** PageSize (1 to 1,000) and Page (from 0), as every list operation of the description types them. */
export function checkPaging(form: Form): void {
  integer(form, 'PageSize', { min: 1, max: 1000 });
  integer(form, 'Page', { min: 0 });
}
