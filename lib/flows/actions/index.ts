/**
 * The registry of flow actions (voice steps, and messaging steps for the kinds whose `channels` say so): `{ "<kind>": value }` in a step's actions, each kind one
 * module. The flow file's schema, its checks, the TwiML and the flow's callback routes all
 * come from here. To add an action: its module, one line here, then `npm run flows:schema`.
 * The order is the schema's (and flows.schema.json's).
 */
import type * as z from 'zod';
import type { ActionChannel, ActionModule } from './action';
import { ask } from './ask';
import { code } from './code';
import { dial } from './dial';
import { gather } from './gather';
import { hangup } from './hangup';
import { http } from './http';
import { pause } from './pause';
import { play } from './play';
import { record } from './record';
import { redirect } from './redirect';
import { reject } from './reject';
import { say } from './say';
import { set } from './set';
import { sms } from './sms';
import { switchAction } from './switch';

export const ACTIONS = {
  say,
  play,
  pause,
  gather,
  dial,
  record,
  sms,
  redirect,
  hangup,
  reject,
  set,
  switch: switchAction,
  http,
  code,
  ask,
} satisfies Record<string, ActionModule>;

type Actions = typeof ACTIONS;
export type ActionKind = keyof Actions;
/** The kinds with a callback of their own (POST /api/twilio/flow/<kind>). */
export type CallbackKind = { [K in ActionKind]: Actions[K] extends { callback: object } ? K : never }[ActionKind];

/** One action of a step: `{ "say": … }`, `{ "gather": … }`… */
export type VoiceAction = { [K in ActionKind]: { [P in K]: z.output<Actions[K]['schema']> } }[ActionKind];
export type VoiceActionInput = { [K in ActionKind]: { [P in K]: z.input<Actions[K]['schema']> } }[ActionKind];

export const ACTION_KINDS = Object.keys(ACTIONS) as ActionKind[];
/** The kinds a channel's steps may hold (a module's `channels`, voice when it names none). */
export const kindsOf = (channel: ActionChannel): ActionKind[] =>
  ACTION_KINDS.filter((kind) => ((ACTIONS[kind] as ActionModule).channels ?? ['voice']).includes(channel));
export const CALLBACK_KINDS = ACTION_KINDS.filter((kind) => 'callback' in ACTIONS[kind]) as CallbackKind[];

/** An action's kind, its module and its value (an action is one key, as the schema requires). */
export function actionOf(action: VoiceAction): { kind: ActionKind; module: ActionModule; value: unknown } {
  const kind = Object.keys(action)[0] as ActionKind;
  return { kind, module: ACTIONS[kind] as ActionModule, value: (action as Record<string, unknown>)[kind] };
}

/** After it the call waits for the caller or leaves the step. */
export const endsTwiml = (action: VoiceAction): boolean => actionOf(action).module.ends;
