/**
 * What a flow's templates read in one request: `flow.variables` (the call's, from storage),
 * `trigger.call` or `trigger.message` (the request Twilio sent: its first value of each field),
 * `widgets` (named actions' results) and the two settings a flow may use.
 */
import type { Settings } from '../config/settings';
import type { FormParams } from '../http/requests';
import { emptyFlowState, type FlowState } from '../records/flowState';
import type { TemplateScope } from './template';

export type Channel = 'call' | 'message';

/** The request's fields, one value each, plus `extra` (what the record knows: a call's From and To). */
export function triggerFields(
  params: FormParams,
  extra: Record<string, string | undefined> = {},
): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) fields[name] = first;
  }
  for (const [name, value] of Object.entries(extra)) if (value !== undefined && !(name in fields)) fields[name] = value;
  return fields;
}

export function templateScope(
  channel: Channel,
  trigger: Record<string, string>,
  settings: Pick<Settings, 'VOICE_GREETING' | 'SMS_REPLY'>,
  state: FlowState = emptyFlowState(),
): TemplateScope {
  return {
    flow: { variables: state.variables },
    trigger: { [channel]: trigger },
    widgets: state.widgets,
    settings: { VOICE_GREETING: settings.VOICE_GREETING, SMS_REPLY: settings.SMS_REPLY },
  };
}
