/** The emulator's records and their Twilio REST representations (snake_case JSON the twilio SDK reads). */
import type {
  CallControl,
  CallFlowResult,
  CallScript,
  CallStart,
  RecordingMade,
  TranscriptLine,
} from '../interpreter/callTypes';
import { API_VERSION, rfc2822 } from '../interpreter/twilioApi';
import type { WebhookResult } from '../interpreter/webhook';
import type { LiveCall } from './liveCall';

export type CallStatus =
  'queued' | 'ringing' | 'in-progress' | 'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled';
/** Who Twilio's answering machine detection says answered (AnsweredBy). */
export const ANSWERED_BY = [
  'human',
  'machine_start',
  'machine_end_beep',
  'machine_end_silence',
  'machine_end_other',
  'fax',
  'unknown',
] as const;
export type AnsweredBy = (typeof ANSWERED_BY)[number];
/** How the callee of an API call answers: picks up (completed) or not. */
export type CallPickUp = 'completed' | 'busy' | 'no-answer' | 'failed';
export type MessageStatus =
  'queued' | 'sending' | 'sent' | 'delivered' | 'undelivered' | 'failed' | 'received' | 'scheduled' | 'canceled';

export interface EmulatedCall {
  sid: string;
  accountSid: string;
  from: string;
  to: string;
  direction: 'outbound-api' | 'inbound';
  status: CallStatus;
  phoneNumberSid?: string;
  start: CallStart;
  fallback?: { url: string; method: string };
  statusCallback?: string;
  statusCallbackMethod: string;
  statusCallbackEvents: string[];
  /** Seconds the callee's phone rings before no-answer (Timeout). */
  timeout: number;
  /** Seconds after which the call is ended (TimeLimit). */
  timeLimit: number;
  /** Record=true: the whole call is recorded, and the recording reported as RecordingStatusCallback asks. */
  recording?: { statusCallback?: string; method: string; events: string[] };
  machineDetection?: MachineDetection;
  sendDigits?: string;
  answeredBy?: AnsweredBy;
  dateCreated: Date;
  dateUpdated: Date;
  startTime?: Date;
  endTime?: Date;
  /** Seconds, once the call has ended. */
  duration?: number;
  script: EmulatorCallScript;
  control: CallControl;
  transcript: TranscriptLine[];
  /** Status callbacks sent for this call, in order. */
  callbacks: WebhookResult[];
  /** The Twilio error that ended the call, when the app's TwiML could not be fetched or read. */
  error?: { code: number; message: string };
  /** Scripted input the call's TwiML never asked for, once it has ended. */
  unused?: CallFlowResult['unused'];
  /** True once the call has ended and its last status callback has been answered. */
  done: boolean;
  /** A live call's caller (liveCalls.ts), who answers as the call goes. */
  live?: LiveCall;
}

/** How the callee of a call answers, on top of what it does during the call. */
export interface EmulatorCallScript extends CallScript {
  callOutcome?: CallPickUp;
  /**
   * Who answers when the call asks for MachineDetection; default human. Each mode reports its
   * own values: a machine is machine_start under Enable, machine_end_* under DetectMessageEnd.
   */
  answeredBy?: AnsweredBy;
}

export interface EmulatedMessage {
  sid: string;
  accountSid: string;
  from: string;
  to: string;
  body: string;
  mediaUrls: string[];
  direction: 'outbound-api' | 'outbound-reply' | 'outbound-call' | 'inbound';
  status: MessageStatus;
  statusCallback?: string;
  errorCode?: number;
  errorMessage?: string;
  dateCreated: Date;
  dateUpdated: Date;
  dateSent?: Date;
  callbacks: WebhookResult[];
  done: boolean;
}

/** A number's webhook URLs: the parameter Twilio's API takes, and the key the emulator keeps it under. */
export const NUMBER_URL_FIELDS = {
  VoiceUrl: 'voiceUrl',
  VoiceFallbackUrl: 'voiceFallbackUrl',
  SmsUrl: 'smsUrl',
  SmsFallbackUrl: 'smsFallbackUrl',
  StatusCallback: 'statusCallback',
} as const;

/** The methods those URLs are requested with. */
export const NUMBER_METHOD_FIELDS = {
  VoiceMethod: 'voiceMethod',
  VoiceFallbackMethod: 'voiceFallbackMethod',
  SmsMethod: 'smsMethod',
  SmsFallbackMethod: 'smsFallbackMethod',
  StatusCallbackMethod: 'statusCallbackMethod',
} as const;

type NumberWebhookKey =
  | (typeof NUMBER_URL_FIELDS)[keyof typeof NUMBER_URL_FIELDS]
  | (typeof NUMBER_METHOD_FIELDS)[keyof typeof NUMBER_METHOD_FIELDS];

/** Its webhooks are '' while unset, as a POST with an empty value leaves them. */
export interface EmulatedPhoneNumber extends Record<NumberWebhookKey, string> {
  sid: string;
  accountSid: string;
  phoneNumber: string;
  friendlyName: string;
  dateCreated: Date;
  dateUpdated: Date;
}

export interface EmulatedRecording extends RecordingMade {
  accountSid: string;
  callSid: string;
  dateCreated: Date;
}

/** A Twilio REST error: `{ code, message, more_info, status }`. */
export class TwilioApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'TwilioApiError';
  }

  toJSON() {
    return {
      code: this.code,
      message: this.message,
      more_info: `https://www.twilio.com/docs/errors/${this.code}`,
      status: this.status,
    };
  }
}

const accountUri = (accountSid: string) => `/${API_VERSION}/Accounts/${accountSid}`;
const date = (value: Date | undefined) => (value ? rfc2822(value) : null);

/** `+15550001111` as Twilio formats North American numbers for display: `(555) 000-1111`. */
function formatted(number: string): string {
  const nanp = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(number);
  return nanp ? `(${nanp[1]}) ${nanp[2]}-${nanp[3]}` : number;
}

export function callJson(call: EmulatedCall) {
  const uri = `${accountUri(call.accountSid)}/Calls/${call.sid}`;
  return {
    sid: call.sid,
    date_created: date(call.dateCreated),
    date_updated: date(call.dateUpdated),
    parent_call_sid: null,
    account_sid: call.accountSid,
    to: call.to,
    to_formatted: formatted(call.to),
    from: call.from,
    from_formatted: formatted(call.from),
    phone_number_sid: call.phoneNumberSid ?? null,
    status: call.status,
    start_time: date(call.startTime),
    end_time: date(call.endTime),
    duration: call.duration === undefined ? null : String(call.duration),
    price: null,
    price_unit: 'USD',
    direction: call.direction,
    answered_by: call.answeredBy ?? null,
    api_version: API_VERSION,
    forwarded_from: null,
    group_sid: null,
    caller_name: null,
    queue_time: '0',
    trunk_sid: null,
    uri: `${uri}.json`,
    subresource_uris: {
      notifications: `${uri}/Notifications.json`,
      recordings: `${uri}/Recordings.json`,
      payments: `${uri}/Payments.json`,
      events: `${uri}/Events.json`,
      siprec: `${uri}/Siprec.json`,
      streams: `${uri}/Streams.json`,
      transcriptions: `${uri}/Transcriptions.json`,
      user_defined_message_subscriptions: `${uri}/UserDefinedMessageSubscriptions.json`,
      user_defined_messages: `${uri}/UserDefinedMessages.json`,
    },
  };
}

export function messageJson(message: EmulatedMessage) {
  const uri = `${accountUri(message.accountSid)}/Messages/${message.sid}`;
  return {
    account_sid: message.accountSid,
    api_version: API_VERSION,
    body: message.body,
    date_created: date(message.dateCreated),
    date_sent: date(message.dateSent),
    date_updated: date(message.dateUpdated),
    direction: message.direction,
    error_code: message.errorCode ?? null,
    error_message: message.errorMessage ?? null,
    from: message.from,
    messaging_service_sid: null,
    num_media: String(message.mediaUrls.length),
    num_segments: String(segments(message.body)),
    price: null,
    price_unit: 'USD',
    sid: message.sid,
    status: message.status,
    subresource_uris: { media: `${uri}/Media.json`, feedback: `${uri}/Feedback.json` },
    to: message.to,
    uri: `${uri}.json`,
  };
}

export function phoneNumberJson(number: EmulatedPhoneNumber) {
  return {
    account_sid: number.accountSid,
    address_requirements: 'none',
    address_sid: null,
    api_version: API_VERSION,
    beta: false,
    bundle_sid: null,
    capabilities: { fax: false, mms: true, sms: true, voice: true },
    date_created: date(number.dateCreated),
    date_updated: date(number.dateUpdated),
    emergency_address_sid: null,
    emergency_address_status: 'unregistered',
    emergency_status: 'Inactive',
    friendly_name: number.friendlyName,
    identity_sid: null,
    origin: 'twilio',
    phone_number: number.phoneNumber,
    sid: number.sid,
    sms_application_sid: null,
    sms_fallback_method: number.smsFallbackMethod,
    sms_fallback_url: number.smsFallbackUrl || null,
    sms_method: number.smsMethod,
    sms_url: number.smsUrl || null,
    status: 'in-use',
    status_callback: number.statusCallback || null,
    status_callback_method: number.statusCallbackMethod,
    trunk_sid: null,
    type: 'local',
    uri: `${accountUri(number.accountSid)}/IncomingPhoneNumbers/${number.sid}.json`,
    voice_application_sid: null,
    voice_caller_id_lookup: false,
    voice_fallback_method: number.voiceFallbackMethod,
    voice_fallback_url: number.voiceFallbackUrl || null,
    voice_method: number.voiceMethod,
    voice_receive_mode: 'voice',
    voice_url: number.voiceUrl || null,
  };
}

/** A list page as Twilio's 2010 API shapes it (the records under the resource's key, paging URIs beside them). */
export function pageJson(key: string, path: string, records: unknown[], query: URLSearchParams) {
  const pageSize = Math.min(Math.max(Number(query.get('PageSize')) || 50, 1), 1000);
  const page = Math.max(Number(query.get('Page')) || 0, 0);
  const slice = records.slice(page * pageSize, (page + 1) * pageSize);
  const uriFor = (n: number) => {
    const next = new URLSearchParams(query);
    next.set('PageSize', String(pageSize));
    next.set('Page', String(n));
    return `${path}?${next.toString()}`;
  };
  return {
    [key]: slice,
    end: page * pageSize + Math.max(slice.length - 1, 0),
    first_page_uri: uriFor(0),
    next_page_uri: (page + 1) * pageSize < records.length ? uriFor(page + 1) : null,
    page,
    page_size: pageSize,
    previous_page_uri: page > 0 ? uriFor(page - 1) : null,
    start: page * pageSize,
    uri: uriFor(page),
  };
}

/** `mediaBase`: where the audio is served (the emulator), like Twilio's https://api.twilio.com. */
export function recordingJson(recording: EmulatedRecording, mediaBase: string) {
  const uri = `${accountUri(recording.accountSid)}/Recordings/${recording.sid}`;
  return {
    account_sid: recording.accountSid,
    api_version: API_VERSION,
    call_sid: recording.callSid,
    conference_sid: null,
    date_created: date(recording.dateCreated),
    date_updated: date(recording.dateCreated),
    start_time: date(recording.startTime),
    duration: String(recording.seconds),
    sid: recording.sid,
    price: null,
    price_unit: 'USD',
    status: 'completed',
    channels: 1,
    source: recording.source,
    error_code: null,
    uri: `${uri}.json`,
    encryption_details: null,
    subresource_uris: { add_on_results: `${uri}/AddOnResults.json`, transcriptions: `${uri}/Transcriptions.json` },
    media_url: `${mediaBase}${uri}`,
  };
}

/** The Call Recordings shape: the account-level one without media_url and subresource_uris, plus the track. */
export function callRecordingJson(recording: EmulatedRecording) {
  const json: Partial<ReturnType<typeof recordingJson>> = recordingJson(recording, '');
  delete json.media_url;
  delete json.subresource_uris;
  return {
    ...json,
    uri: `${accountUri(recording.accountSid)}/Calls/${recording.callSid}/Recordings/${recording.sid}.json`,
    track: 'both',
  };
}

// GSM 03.38: the basic set counts one character each, the extension set two (escape + character).
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENDED = '^{}\\[~]|€\f';

/** Segments of an SMS: 160 GSM-7 characters (153 per part when split) or 70 UCS-2 code units (67 per part). */
export function segments(body: string): number {
  const gsm = [...body].every((char) => GSM_BASIC.includes(char) || GSM_EXTENDED.includes(char));
  const length = gsm ? [...body].reduce((sum, char) => sum + (GSM_EXTENDED.includes(char) ? 2 : 1), 0) : body.length;
  const [single, part] = gsm ? [160, 153] : [70, 67];
  return length <= single ? 1 : Math.ceil(length / part);
}

/** What `POST Calls.json` asked of answering machine detection (machineDetection.ts reads and runs it). */
export type DetectionMode = 'Enable' | 'DetectMessageEnd';

export interface MachineDetection {
  mode: DetectionMode;
  /** Seconds before detection gives up with `unknown`. */
  timeoutSeconds: number;
  speechThresholdMs: number;
  speechEndThresholdMs: number;
  silenceTimeoutMs: number;
  /** AsyncAmd=true: where the result goes, if anywhere. */
  async?: { statusCallback?: string; method: string };
}
