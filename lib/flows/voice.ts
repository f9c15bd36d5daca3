/**
 * The voice flow as TwiML. A call starts at the entry step (after the blocklist and business
 * hours); each step's actions become verbs until one waits for the caller (gather, dial,
 * record) or leaves the step (redirect, hangup, reject). Those post back to our own signed
 * routes with the step, the action's index and the call's turn in the query string: Twilio
 * signs the whole URL, so a caller cannot forge where a call goes next. Logic actions (set,
 * switch, http, code) run here, during the request, on the call's state (flowState.ts), and
 * may move the call to another step before anything is said.
 */
import VoiceResponse from 'twilio/lib/twiml/VoiceResponse';
import type { InvocationContext } from '@azure/functions';
import type { Settings } from '../config/settings';
import { field, type FormParams } from '../http/requests';
import { own } from '../http/own';
import { emptyFlowState, type FlowState } from '../records/flowState';
import type { FlowFacts } from '../records/model';
import { xmlSafe } from '../twilio/twiml';
import {
  callbackPath,
  type ActionCallback,
  type ActionEffect,
  type ActionTwiml,
  type CallText,
  type FlowPlace,
  type VoiceAnswer,
} from './actions/action';
import { ACTIONS, actionOf, CALLBACK_KINDS, type CallbackKind } from './actions';
import { whisperTwiml as dialWhisper } from './actions/dial';
import { isOpen } from './hours';
import { effectLine, runLogic, type LogicContext } from './logic';
import { templateScope, triggerFields } from './scope';
import { render, type TemplateScope } from './template';
import type { FlowFile, VoiceFlow } from './schema';
import { DEFAULT_FLOWS, sayDefaults } from './schema';

export type { CallText, FlowPlace, VoiceAnswer };

/** The flow's callback routes: a step, each action's own (gather, dial, record…), a recording, a whisper. */
export const FLOW_KINDS = ['step', ...CALLBACK_KINDS, 'recording', 'whisper'] as const;
export type FlowKind = 'step' | CallbackKind | 'recording' | 'whisper';

const STEP_GONE = 'Sorry, that option is no longer available.';
/** Logic actions one request may run before it must answer: a switch that leads back to itself ends here. */
const MAX_LOGIC_ACTIONS = 100;

export const isBlocked = (flows: FlowFile, from: string | undefined): boolean =>
  from !== undefined &&
  !!flows.blocklist &&
  (flows.blocklist.numbers.includes(from) || flows.blocklist.prefixes.some((prefix) => from.startsWith(prefix)));

/** What one request of a call runs with besides the flow: the call's state, the log, the clock. */
export interface Turn {
  state?: FlowState;
  context?: Pick<InvocationContext, 'warn' | 'error'>;
  /** When the request began: logic actions share a budget that ends DEADLINES.flowTurnMs later. */
  started?: number;
  /** The call's state could not be read: the flow's onError step, if it has one, answers. */
  unavailable?: boolean;
  /** Receives the texts the answer's actions send (the webhook queues them). */
  outbox?: CallText[];
}

/** Writes steps as TwiML for one request of a call; each action writes its own verbs. */
class CallTwiml {
  readonly response = new VoiceResponse();
  readonly state: FlowState;
  readonly scope: TemplateScope;
  readonly effects: ActionEffect[] = [];
  readonly trigger: Record<string, string>;
  private readonly started: number;

  constructor(
    private readonly voice: VoiceFlow,
    private readonly settings: Settings,
    private readonly params: FormParams,
    /** The turn the URLs in this answer lead to: one more than the request's. */
    readonly nextTurn: number,
    private readonly turn: Turn = {},
  ) {
    this.state = turn.state ?? emptyFlowState();
    this.trigger = triggerFields(params);
    this.scope = templateScope('call', this.trigger, settings, this.state);
    this.started = turn.started ?? performance.now();
  }

  text(template: string): string {
    return xmlSafe(render(template, this.scope));
  }

  /** The flow's voice and language: every say of this answer uses them unless it names its own. */
  get sayAttributes(): VoiceResponse.SayAttributes {
    return sayDefaults(this.voice) as VoiceResponse.SayAttributes;
  }

  /** A text during the call: to the other party unless `to` says otherwise, from our number on the call. */
  sendText(step: string, at: number, body: string, to?: string): void {
    const { params, settings } = this;
    const outbound = field(params, 'Direction')?.startsWith('outbound') ?? false;
    const ours = field(params, outbound ? 'From' : 'To');
    const recipient = to ?? field(params, outbound ? 'To' : 'From');
    if (!recipient) return;
    this.turn.outbox?.push({
      key: `call-sms|${field(params, 'CallSid') ?? '-'}|${this.nextTurn - 1}|${step}|${at}`,
      to: recipient,
      from: ours && /^\+[1-9]\d{1,14}$/.test(ours) ? ours : settings.TWILIO_PHONE_NUMBER,
      body,
    });
  }

  /** The step's actions from `from` on, up to the first that waits or leaves; logic actions may move it to another step. */
  async step(name: string, from = 0): Promise<this> {
    let step = name;
    let at = from;
    for (let ran = 0; ; at++) {
      const action = this.voice.steps[step]!.actions[at];
      if (!action) return this;
      const { kind, module, value } = actionOf(action);
      if (module.run) {
        if (++ran > MAX_LOGIC_ACTIONS) return this.stuck(step);
        const next = await runLogic(this.logic(step), kind, module, value, at);
        if (next !== undefined) [step, at] = [next, -1];
        continue;
      }
      module.write(this.at(kind, step, at), value);
      if (module.ends) return this;
    }
  }

  private logic(step: string): LogicContext {
    return {
      state: this.state,
      scope: this.scope,
      trigger: this.trigger,
      effects: this.effects,
      started: this.started,
      onError: this.voice.onError,
      hasStep: (name) => Object.hasOwn(this.voice.steps, name),
      context: this.turn.context,
      where: step,
    };
  }

  /** A flow that keeps moving without waiting for the caller: said plainly, then the call ends. */
  private stuck(step: string): this {
    this.turn.context?.error(
      `The flow ran ${MAX_LOGIC_ACTIONS} logic actions at ${step} without waiting for the caller; the call ends`,
    );
    this.response.say('Sorry, something went wrong. Goodbye.');
    this.response.hangup();
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
      scope: this.scope,
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

  /** The answer, its facts with what the logic actions did. */
  answer(facts: FlowFacts): VoiceAnswer {
    const effects = this.effects.map(effectLine);
    return { twiml: this.response.toString(), facts: { ...facts, ...(effects.length ? { effects } : {}) } };
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
export async function answerCall(
  flows: FlowFile,
  params: FormParams,
  settings: Settings,
  now = new Date(),
  turn: Turn = {},
): Promise<VoiceAnswer> {
  const voice = voiceOf(flows);
  const twiml = new CallTwiml(voice, settings, params, 1, turn);
  const enter = async (step: string, facts: FlowFacts = {}) =>
    (await twiml.step(step)).answer({ turn: 0, step, ...facts });
  if (turn.unavailable && voice.onError) return enter(voice.onError, { outcome: 'variables unavailable' });
  if (field(params, 'Direction')?.startsWith('outbound')) {
    const machine = machineAnswered(voice, params);
    return machine ? enter(machine.step, { outcome: machine.outcome }) : enter(voice.entry);
  }
  if (isBlocked(flows, field(params, 'From'))) {
    if (typeof voice.blocked === 'object') return enter(voice.blocked.step, { outcome: 'blocked' });
    const reason = voice.blocked === 'busy' ? 'busy' : 'rejected';
    twiml.response.reject({ reason });
    return twiml.answer({ turn: 0, outcome: `blocked: ${reason}` });
  }
  if (voice.closed && flows.hours && !isOpen(flows.hours, now)) return enter(voice.closed, { outcome: 'closed' });
  return enter(voice.entry);
}

/**
 * The answer to one of the flow's own callbacks (`step`, or an action's: `gather`, `dial`,
 * `record`…), or undefined when the place it names is not in the flow any more (a deploy
 * removed it while the call was on): the caller then hears an apology and the entry step.
 */
export async function answerCallback(
  kind: 'step' | CallbackKind,
  place: FlowPlace,
  flows: FlowFile,
  params: FormParams,
  settings: Settings,
  turnState: Turn = {},
): Promise<VoiceAnswer | undefined> {
  const voice = voiceOf(flows);
  const turn = place.turn ?? 0;
  const twiml = new CallTwiml(voice, settings, params, turn + 1, turnState);
  const step = place.step !== undefined && Object.hasOwn(voice.steps, place.step) ? place.step : undefined;
  if (step === undefined) return undefined;
  if (turnState.unavailable && voice.onError)
    return (await twiml.step(voice.onError)).answer({ turn, step: voice.onError, outcome: 'variables unavailable' });
  if (kind === 'step') {
    // A call placed into a step (POST /api/calls with flow.step) hears it first: a machine goes to voice.machine.
    const machine = turn === 1 ? machineAnswered(voice, params) : undefined;
    if (machine) return (await twiml.step(machine.step)).answer({ turn, ...machine });
    return (await twiml.step(step)).answer({ turn, step });
  }
  const at = place.at ?? -1;
  const action = voice.steps[step]!.actions[at];
  const module = ACTIONS[kind];
  if (!action || !Object.hasOwn(action, kind) || !module) return undefined;
  const answer = (facts: FlowFacts): VoiceAnswer => twiml.answer({ ...facts, turn });
  const call: ActionCallback = {
    ...twiml.at(kind, step, at),
    params,
    place,
    turn,
    answer,
    then: async (facts, next) => {
      await (next.step ? twiml.step(next.step) : twiml.step(step, at + 1));
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
  const twiml = new CallTwiml(voice, settings, params, (place.turn ?? 0) + 1);
  twiml.response.say(twiml.sayAttributes, STEP_GONE);
  twiml.goTo(voice.entry);
  return twiml.answer({
    turn: place.turn ?? 0,
    outcome: `unknown place ${place.step ?? '?'}[${place.at ?? '-'}], back to ${voice.entry}`,
  });
}

/** What the answering party of a dial hears before the caller is connected. */
export function whisperTwiml(
  flows: FlowFile,
  place: FlowPlace,
  params: FormParams,
  settings: Settings,
  state?: FlowState,
): string {
  const voice = voiceOf(flows);
  const action = place.step !== undefined ? own(voice.steps, place.step)?.actions[place.at ?? -1] : undefined;
  return dialWhisper(
    action && 'dial' in action ? action.dial : undefined,
    templateScope('call', triggerFields(params), settings, state),
    sayDefaults(voice) as VoiceResponse.SayAttributes,
  );
}
