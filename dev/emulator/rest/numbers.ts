/** The IncomingPhoneNumbers resource: the account's numbers, their webhooks, and list filters. */
import { boolean, checkPaging, checkTypes, E164, first, method, TYPED_PARAMETERS, url, type Form } from './params';
import {
  NUMBER_METHOD_FIELDS,
  NUMBER_URL_FIELDS,
  pageJson,
  phoneNumberJson,
  TwilioApiError,
  type EmulatedPhoneNumber,
} from './resources';
import { api, notFound, type ApiRequest, type Route } from './router';
import { newSid } from '../interpreter/twilioApi';
import { numberByPhone, type EmulatorState } from './state';

export function numberRoutes(state: EmulatorState): Route[] {
  const sid = api('/IncomingPhoneNumbers/([^/]+)\\.json');
  return [
    {
      method: 'POST',
      pattern: api('/IncomingPhoneNumbers\\.json'),
      handle: ({ form }) => ({ status: 201, json: phoneNumberJson(createNumber(state, form)) }),
    },
    {
      method: 'GET',
      pattern: api('/IncomingPhoneNumbers\\.json'),
      handle: (request) => ({ status: 200, json: listNumbers(state, request) }),
    },
    {
      method: 'GET',
      pattern: sid,
      handle: (request) => ({ status: 200, json: phoneNumberJson(findNumber(state, request)) }),
    },
    {
      method: 'POST',
      pattern: sid,
      handle: (request) => ({
        status: 200,
        json: phoneNumberJson(updateNumber(state, findNumber(state, request), request.form)),
      }),
    },
    {
      method: 'DELETE',
      pattern: sid,
      handle: (request) => {
        state.numbers.delete(findNumber(state, request).sid);
        return { status: 204 };
      },
    },
  ];
}

function findNumber(state: EmulatorState, { sids, path }: ApiRequest): EmulatedPhoneNumber {
  const number = state.numbers.get(sids[0] ?? '');
  if (!number) throw notFound(path);
  return number;
}

/** A number of the account with no webhooks set, as a newly bought Twilio number. */
export function addNumber(state: EmulatorState, phoneNumber: string, friendlyName = phoneNumber): EmulatedPhoneNumber {
  if (!E164.test(phoneNumber)) throw new Error(`phone number ${phoneNumber} is not E.164`);
  const now = new Date();
  const number: EmulatedPhoneNumber = {
    sid: newSid('PN'),
    accountSid: state.accountSid,
    phoneNumber,
    friendlyName,
    voiceUrl: '',
    voiceMethod: 'POST',
    voiceFallbackUrl: '',
    voiceFallbackMethod: 'POST',
    smsUrl: '',
    smsMethod: 'POST',
    smsFallbackUrl: '',
    smsFallbackMethod: 'POST',
    statusCallback: '',
    statusCallbackMethod: 'POST',
    dateCreated: now,
    dateUpdated: now,
  };
  state.numbers.set(number.sid, number);
  return number;
}

/** Buying a number: any E.164 number not already the account's (the emulator has no inventory), or one in AreaCode. */
function createNumber(state: EmulatorState, form: Form): EmulatedPhoneNumber {
  const phoneNumber = first(form, 'PhoneNumber');
  const areaCode = first(form, 'AreaCode');
  if (!phoneNumber && !areaCode) throw new TwilioApiError(400, 21452, 'A PhoneNumber or AreaCode is required');
  if (phoneNumber && !E164.test(phoneNumber))
    throw new TwilioApiError(400, 21421, `PhoneNumber is invalid: ${phoneNumber}`);
  if (areaCode && !/^\d{3}$/.test(areaCode)) throw new TwilioApiError(400, 21451, `Invalid area code: ${areaCode}`);
  const chosen = phoneNumber ?? freeNumberIn(state, areaCode!);
  if (numberByPhone(state, chosen)) throw new TwilioApiError(400, 21422, `PhoneNumber ${chosen} is not available`);
  validate(form);
  const number = addNumber(state, chosen);
  return updateNumber(state, number, form);
}

function freeNumberIn(state: EmulatorState, areaCode: string): string {
  for (let line = 100; line < 10_000; line++) {
    const candidate = `+1${areaCode}555${String(line).padStart(4, '0')}`;
    if (!numberByPhone(state, candidate)) return candidate;
  }
  throw new TwilioApiError(400, 21452, `No phone numbers found in area code ${areaCode}`);
}

/** Checks every typed parameter before anything changes, so a bad request changes nothing. */
function validate(form: Form) {
  for (const field of Object.keys(NUMBER_URL_FIELDS)) url(form, field, 21502);
  checkTypes(form, TYPED_PARAMETERS.incomingPhoneNumber);
}

function updateNumber(state: EmulatorState, number: EmulatedPhoneNumber, form: Form): EmulatedPhoneNumber {
  validate(form);
  for (const [field, key] of Object.entries(NUMBER_URL_FIELDS)) {
    const value = first(form, field);
    if (value !== undefined) number[key] = value;
  }
  for (const [field, key] of Object.entries(NUMBER_METHOD_FIELDS)) {
    const value = method(form, field);
    if (value !== undefined) number[key] = value;
  }
  const friendlyName = first(form, 'FriendlyName');
  if (friendlyName !== undefined) number.friendlyName = friendlyName;
  number.dateUpdated = new Date();
  state.log(`number ${number.phoneNumber} updated`);
  return number;
}

/** Twilio matches partial numbers, with * standing for any one digit. */
function phoneNumberMatches(number: EmulatedPhoneNumber, filter: string): boolean {
  const pattern = new RegExp(filter.replace(/[^\d*]/g, '').replace(/\*/g, '\\d'));
  return pattern.test(number.phoneNumber.replace(/\D/g, ''));
}

function listNumbers(state: EmulatorState, { query, path, form }: ApiRequest) {
  checkPaging(form);
  // Beta=false leaves out numbers new to Twilio; no emulated number is, so it filters nothing.
  boolean(form, 'Beta');
  const tests: Array<[string, (number: EmulatedPhoneNumber, value: string) => boolean]> = [
    ['PhoneNumber', phoneNumberMatches],
    ['FriendlyName', (number, value) => number.friendlyName === value],
    ['Origin', (_number, value) => value === 'twilio'],
  ];
  const numbers = [...state.numbers.values()].filter((number) =>
    tests.every(([param, test]) => !query.get(param) || test(number, query.get(param) ?? '')),
  );
  return pageJson('incoming_phone_numbers', path, numbers.map(phoneNumberJson), query);
}
