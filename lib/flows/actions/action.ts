/**
 * What a voice action is: one module (say.ts, gather.ts…) holding its schema, the steps it
 * leads to, the TwiML it writes and, for an action that waits for the caller, the answer to its
 * own callback. The registry (index.ts) lists them; nothing else names an action kind.
 */
import type VoiceResponse from 'twilio/lib/twiml/VoiceResponse';
import type * as z from 'zod';
import { ROUTE_PREFIX, ROUTES } from '../../config/routes';
import type { FormParams } from '../../http/requests';
import type { FlowFacts } from '../../records/model';
import type { FlowState } from '../../records/flowState';
import type { TemplateScope } from '../template';

/** What the call hears next, and what the record keeps of this turn. */
export interface VoiceAnswer {
  twiml: string;
  facts: FlowFacts;
}

/** Where a callback says it came from: its query string, as our TwiML wrote it. */
export interface FlowPlace {
  step?: string | undefined;
  at?: number | undefined;
  turn?: number | undefined;
  try?: number | undefined;
  leg?: number | undefined;
}

/** A step an action names, and where inside the action's value it is named. */
export interface StepReference {
  path: PropertyKey[];
  step: string;
}

/** A problem of an action the schema cannot see, by its place inside the action's value. */
export interface ActionProblem {
  path: PropertyKey[];
  message: string;
}

/** Where an action writes its TwiML: the response of this request, and the action's place in the flow. */
export interface ActionTwiml {
  readonly response: VoiceResponse;
  /** The action's kind: the route of its own callback. */
  readonly kind: string;
  readonly step: string;
  /** The action's index in its step. */
  readonly at: number;
  /** The turn the URLs in this answer lead to: one more than the request's. */
  readonly nextTurn: number;
  /** What the flow's templates read: the call's variables, this request, results, settings. */
  readonly scope: TemplateScope;
  /** The flow's voice and language, for every say it writes (`<Say>` attributes). */
  readonly sayAttributes: VoiceResponse.SayAttributes;
  /** A flow text rendered, safe for TwiML. */
  text(template: string): string;
  /** The URL of this action's callback (or of `route`): its step and index, then `query`. */
  url(query?: Record<string, string | number>, route?: string): string;
  /** Go to a step: a redirect to our step route, fetched as the call's next document. */
  goTo(step: string): void;
  /** Text someone during the call (default: the other party): sent through the outbound queue, once per call, turn and action. */
  sendText(body: string, to?: string): void;
}

/** A text an action sends during a call, for the webhook to put on the outbound queue. */
export interface CallText {
  /** `call-sms|<CallSid>|<turn>|<step>|<at>`: a replayed turn queues the same key, which is sent once. */
  key: string;
  to: string;
  from: string;
  body: string;
}

/** The answer to an action's own callback: the request, and what comes next. */
export interface ActionCallback extends ActionTwiml {
  readonly params: FormParams;
  readonly place: FlowPlace;
  /** The turn of this request. */
  readonly turn: number;
  /** The TwiML written so far, with this turn's facts. */
  answer(facts: FlowFacts): VoiceAnswer;
  /** The step an outcome leads to, else the actions after this one. */
  then(facts: FlowFacts, next: { step?: string | undefined; outcome?: string }): Promise<VoiceAnswer>;
}

/** What the record keeps of a logic action: a line of the transcript (`http crm: ok 200 in 143 ms → vip`). */
export interface ActionEffect {
  kind: string;
  name: string;
  outcome: string;
  status?: number | undefined;
  ms?: number | undefined;
  next?: string | undefined;
  reason?: string | undefined;
}

/**
 * Where a logic action (set, switch, http, code) runs: during the request, with the call's
 * state, writing no TwiML. It answers the step to go to, or undefined for the next action.
 */
export interface ActionRun {
  readonly step: string;
  readonly at: number;
  /** How the record names it when it has no name of its own: `switch at menu[2]`. */
  readonly name: string;
  /** The call's variables and results, changed in place. */
  readonly state: FlowState;
  /** The request's fields. */
  readonly trigger: Readonly<Record<string, string>>;
  render(template: string): string;
  /** A URL template: what its outputs insert is URL-encoded. */
  renderUrl(template: string): string;
  /** An app setting by name. */
  setting(name: string): string | undefined;
  readonly inAzure: boolean;
  /** A deadline of `ms`, or less when less is left of this request's budget. */
  deadline(ms: number): AbortSignal;
  /** The flow's onError step, where failures go that name no step of their own. */
  readonly onError: string | undefined;
  /** Whether the channel has this step (a hook may name one). */
  hasStep(step: string): boolean;
  note(effect: ActionEffect): void;
  log(level: 'warn' | 'error', message: string, error?: unknown): void;
}

export type ActionChannel = 'voice' | 'messaging';

export interface ActionModule<Schema extends z.ZodType = z.ZodType> {
  /** The action's value: `{ "<kind>": value }` in a step's actions. */
  schema: Schema;
  /** After it the call waits for the caller or leaves the step: nothing after it runs until a callback says so. */
  ends: boolean;
  /** Where it may be written: voice steps (the default), messaging steps (text conversations), or both. */
  channels?: readonly ActionChannel[];
  /** Every step it leads to (for unknown and unreachable steps). */
  steps?(value: z.output<Schema>): StepReference[];
  /** The step it goes to at once, without the caller doing anything (for redirect loops). */
  goesTo?(value: z.output<Schema>): string | undefined;
  /** What the schema alone cannot see. */
  problems?(value: z.output<Schema>): ActionProblem[];
  /** Its TwiML. */
  write(twiml: ActionTwiml, value: z.output<Schema>): void;
  /** A logic action's work (set, switch, http, code): it writes no TwiML. */
  run?(run: ActionRun, value: z.output<Schema>): Promise<string | undefined> | string | undefined;
  /** The answer to its callback (POST /api/twilio/flow/<kind>), for an action that has one. */
  callback?(call: ActionCallback, value: z.output<Schema>): VoiceAnswer | Promise<VoiceAnswer>;
}

type WithCallback<Schema extends z.ZodType> = ActionModule<Schema> & Required<Pick<ActionModule<Schema>, 'callback'>>;

/** An action module, its value typed by its schema (and its type says whether it has a callback). */
export function defineAction<Schema extends z.ZodType>(module: WithCallback<Schema>): WithCallback<Schema>;
export function defineAction<Schema extends z.ZodType>(module: ActionModule<Schema>): ActionModule<Schema>;
export function defineAction<Schema extends z.ZodType>(module: ActionModule<Schema>): ActionModule<Schema> {
  return module;
}

/** `/api/twilio/flow/gather?step=menu&at=1&turn=2`: relative, so Twilio resolves it against the URL it is calling. */
export function callbackPath(kind: string, query: Record<string, string | number>): string {
  const search = new URLSearchParams(
    Object.entries(query).map(([name, value]): [string, string] => [name, String(value)]),
  );
  return `/${ROUTE_PREFIX}/${ROUTES.flowWebhook.replace('{kind}', kind)}?${search}`;
}

/** The steps a logic action's outcomes lead to (`ok`, then `failed`), where its value names them. */
export function outcomeSteps(value: { ok?: string | undefined; failed?: string | undefined }): StepReference[] {
  return (['ok', 'failed'] as const).flatMap((outcome) => {
    const step = value[outcome];
    return step ? [{ path: [outcome], step }] : [];
  });
}

/**
 * A schema built on its first use instead of at import: the webhooks run actions without
 * their schemas (a flow file the package checked is trusted, see load.ts), and zod's schemas
 * are the largest part of a cold start's own work.
 */
export function lazySchema<Schema>(build: () => Schema): () => Schema {
  let built: Schema | undefined;
  return () => (built ??= build());
}
