/**
 * The voice flow as TwiML. A call starts at the entry step (after the blocklist and business
 * hours); each step's actions become verbs until one waits for the caller (gather, dial,
 * record) or leaves the step (redirect, hangup, reject). Those post back to our own signed
 * routes with the step, the action's index and the call's turn in the query string: Twilio
 * signs the whole URL, so a caller cannot forge where a call goes next.
 */
import VoiceResponse from 'twilio/lib/twiml/VoiceResponse';
import type { Settings } from '../config/settings';
import { field, type FormParams } from '../http/requests';
import type { FlowFacts } from '../records/model';
import { own } from '../http/own';
import { xmlSafe } from '../twilio/twiml';
import {
  callbackPath,
  type ActionCallback,
  type CallText,
  type ActionTwiml,
  type FlowPlace,
  type VoiceAnswer,
} from './actions/action';
import { ACTIONS, actionOf, CALLBACK_KINDS, type CallbackKind } from './actions';
import { whisperTwiml as dialWhisper } from './actions/dial';
import { isOpen } from './hours';
import { fill, requestVariables, type Variables } from './text';
import type { FlowFile, VoiceFlow } from './schema';
import { DEFAULT_FLOWS, sayDefaults } from './schema';

export type { CallText, FlowPlace, VoiceAnswer };

/** The flow's callback routes: a step, each action's own (gather, dial, record…), a recording, a whisper. */
export const FLOW_KINDS = ['step', ...CALLBACK_KINDS, 'recording', 'whisper'] as const;
export type FlowKind = 'step' | CallbackKind | 'recording' | 'whisper';

const STEP_GONE = 'Sorry, that option is no longer available.';

export const isBlocked = (flows: FlowFile, from: string | undefined): boolean =>
  from !== undefined &&
  !!flows.blocklist &&
  (flows.blocklist.numbers.includes(from) || flows.blocklist.prefixes.some((prefix) => from.startsWith(prefix)));

/** Writes steps as TwiML for one request of a call; each action writes its own verbs. */
class CallTwiml {
  readonly response = new VoiceResponse();
  /** The flow's voice and language: every say of this answer uses them unless it names its own. */
  get sayAttributes(): VoiceResponse.SayAttributes {
    return sayDefaults(this.voice) as VoiceResponse.SayAttributes;
  }

  constructor(
    private readonly voice: VoiceFlow,
    readonly variables: Variables,
    /** The turn the URLs in this answer lead to: one more than the request's. */
    readonly nextTurn: number,
    /** The request, for the texts actions send: who is on the call, and which call. */
    private readonly call: { params: FormParams; settings: Settings; outbox: CallText[] },
  ) {}

  /** A text during the call: to the other party unless `to` says otherwise, from our number on the call. */
  sendText(step: string, at: number, body: string, to?: string): void {
    const { params, settings, outbox } = this.call;
    const outbound = field(params, 'Direction')?.startsWith('outbound') ?? false;
    const ours = field(params, outbound ? 'From' : 'To');
    const recipient = to ?? field(params, outbound ? 'To' : 'From');
    if (!recipient) return;
    const callSid = field(params, 'CallSid') ?? '-';
    outbox.push({
      key: `call-sms|${callSid}|${this.nextTurn - 1}|${step}|${at}`,
      to: recipient,
      from: ours && /^\+[1-9]\d{1,14}$/.test(ours) ? ours : settings.TWILIO_PHONE_NUMBER,
      body,
    });
  }

  text(template: string): string {
    return xmlSafe(fill(template, this.variables));
  }

  /** The step's actions from `from` on, up to the first that waits or leaves. */
  step(name: string, from = 0): this {
    const actions = this.voice.steps[name]!.actions;
    for (let at = from; at < actions.length; at++) {
      const { kind, module, value } = actionOf(actions[at]!);
      module.write(this.at(kind, name, at), value);
      if (module.ends) break;
    }
    return this;
  }

  /** What an action writes with: this response, and its place. */
  at(kind: string, step: string, at: number): ActionTwiml {
    return {
      response: this.response,
      kind,
      step,
      at,
      nextTurn: this.nextTurn,
      variables: this.variables,
      sayAttributes: this.sayAttributes,
      text: (template) => this.text(template),
      url: (query = {}, route = kind) => callbackPath(route, { step, at, ...query }),
      goTo: (next) => this.goTo(next),
      sendText: (body, to) => this.sendText(step, at, body, to),
    };
  }

  /** A step by a redirect to our step route: Twilio fetches it as the call's next document. */
  goTo(step: string): this {
    this.response.redirect({ method: 'POST' }, callbackPath('step', { step, turn: this.nextTurn }));
    return this;
  }
}

/** voice.machine, when Twilio's answering machine detection says a machine or fax answered. */
function machineAnswered(voice: VoiceFlow, params: FormParams): { step: string; outcome: string } | undefined {
  const answeredBy = field(params, 'AnsweredBy') ?? '';
  if (!voice.machine || !(answeredBy.startsWith('machine_') || answeredBy === 'fax')) return undefined;
  return { step: voice.machine, outcome: `answered by ${answeredBy}` };
}

const voiceOf = (flows: FlowFile): VoiceFlow => flows.voice ?? DEFAULT_FLOWS.voice!;

/**
 * The answer to a new call (the voice webhook, and its fallback): blocklist, business hours,
 * then the entry step. A call the app placed (Direction outbound-api) starts at the entry step:
 * the blocklist and the hours are about who calls in, and when.
 */
export function answerCall(
  flows: FlowFile,
  params: FormParams,
  settings: Settings,
  now = new Date(),
  /** Receives the texts the answer's actions send (the webhook queues them). */
  outbox: CallText[] = [],
): VoiceAnswer {
  const voice = voiceOf(flows);
  const twiml = new CallTwiml(voice, requestVariables(params, settings), 1, { params, settings, outbox });
  if (field(params, 'Direction')?.startsWith('outbound')) {
    const machine = machineAnswered(voice, params);
    if (machine) return { twiml: twiml.step(machine.step).response.toString(), facts: { turn: 0, ...machine } };
    return { twiml: twiml.step(voice.entry).response.toString(), facts: { turn: 0, step: voice.entry } };
  }
  if (isBlocked(flows, field(params, 'From'))) {
    if (typeof voice.blocked === 'object')
      return {
        twiml: twiml.step(voice.blocked.step).response.toString(),
        facts: { turn: 0, outcome: 'blocked', step: voice.blocked.step },
      };
    twiml.response.reject({ reason: voice.blocked === 'busy' ? 'busy' : 'rejected' });
    return {
      twiml: twiml.response.toString(),
      facts: { turn: 0, outcome: `blocked: ${voice.blocked === 'busy' ? 'busy' : 'rejected'}` },
    };
  }
  if (voice.closed && flows.hours && !isOpen(flows.hours, now)) {
    return {
      twiml: twiml.step(voice.closed).response.toString(),
      facts: { turn: 0, outcome: 'closed', step: voice.closed },
    };
  }
  return { twiml: twiml.step(voice.entry).response.toString(), facts: { turn: 0, step: voice.entry } };
}

/**
 * The answer to one of the flow's own callbacks (`step`, or an action's: `gather`, `dial`,
 * `record`…), or undefined when the place it names is not in the flow any more (a deploy
 * removed it while the call was on): the caller then hears an apology and the entry step.
 */
export function answerCallback(
  kind: 'step' | CallbackKind,
  place: FlowPlace,
  flows: FlowFile,
  params: FormParams,
  settings: Settings,
  /** Receives the texts the answer's actions send (the webhook queues them). */
  outbox: CallText[] = [],
): VoiceAnswer | undefined {
  const voice = voiceOf(flows);
  const turn = place.turn ?? 0;
  const twiml = new CallTwiml(voice, requestVariables(params, settings), turn + 1, { params, settings, outbox });
  const step = place.step !== undefined && Object.hasOwn(voice.steps, place.step) ? place.step : undefined;
  if (step === undefined) return undefined;
  if (kind === 'step') {
    // A call placed into a step (POST /api/calls with flow.step) hears it first: a machine goes to voice.machine.
    const machine = machineAnswered(voice, params);
    if (turn === 1 && machine)
      return { twiml: twiml.step(machine.step).response.toString(), facts: { turn, ...machine } };
    return { twiml: twiml.step(step).response.toString(), facts: { turn, step } };
  }
  const at = place.at ?? -1;
  const action = voice.steps[step]!.actions[at];
  const module = ACTIONS[kind];
  if (!action || !Object.hasOwn(action, kind) || !module) return undefined;
  const answer = (facts: FlowFacts): VoiceAnswer => ({ twiml: twiml.response.toString(), facts: { ...facts, turn } });
  const call: ActionCallback = {
    ...twiml.at(kind, step, at),
    params,
    place,
    turn,
    answer,
    then: (facts, next) => {
      if (next.step) twiml.step(next.step);
      else twiml.step(step, at + 1);
      return answer({
        ...facts,
        ...(next.outcome ? { outcome: next.outcome } : {}),
        ...(next.step ? { step: next.step } : {}),
      });
    },
  };
  return module.callback(call, actionOf(action).value as never);
}

/** The twiml and facts when a callback names a place the flow no longer has. */
export function stepGone(flows: FlowFile, place: FlowPlace, settings: Settings, params: FormParams): VoiceAnswer {
  const voice = voiceOf(flows);
  const twiml = new CallTwiml(voice, requestVariables(params, settings), (place.turn ?? 0) + 1, {
    params,
    settings,
    outbox: [],
  });
  twiml.response.say(twiml.sayAttributes, STEP_GONE);
  twiml.goTo(voice.entry);
  return {
    twiml: twiml.response.toString(),
    facts: {
      turn: place.turn ?? 0,
      outcome: `unknown place ${place.step ?? '?'}[${place.at ?? '-'}], back to ${voice.entry}`,
    },
  };
}

/** What the answering party of a dial hears before the caller is connected. */
export function whisperTwiml(flows: FlowFile, place: FlowPlace, params: FormParams, settings: Settings): string {
  const action = place.step !== undefined ? own(voiceOf(flows).steps, place.step)?.actions[place.at ?? -1] : undefined;
  return dialWhisper(
    action && 'dial' in action ? action.dial : undefined,
    requestVariables(params, settings),
    sayDefaults(voiceOf(flows)) as VoiceResponse.SayAttributes,
  );
}
