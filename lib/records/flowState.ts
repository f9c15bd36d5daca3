/**
 * What a flow remembers between the turns of one call (or one text conversation): its
 * variables and the results of its named actions. It lives beside the call's record, in the
 * record's partition (RowKey `sid|<SID>|state`), and nowhere else: not in a URL, not in a
 * form field, so nothing a caller sends can forge or change it. Only the flow writes it, one
 * turn at a time, under optimistic concurrency.
 */
import type { Settings } from '../config/settings';
import { AppError } from '../errors';
import { partitionOf, STATE_SUFFIX } from './entities';
import type { Kind } from './status';
import { storageStatus, withTables } from './tables';

/** The most a call's variables and results may take, as JSON. */
export const MAX_FLOW_STATE_BYTES = 16 * 1024;

export interface FlowState {
  variables: Record<string, unknown>;
  /** Results of named actions (`http`: `{ status, parsed }`), readable as `widgets.<name>`. */
  widgets: Record<string, unknown>;
  /** Variables whose values are never shown on the record or in the transcript. */
  secret: string[];
  /** The call's first request was answered and its changes kept: that request again keeps none. */
  entered?: true;
}

export const emptyFlowState = (): FlowState => ({ variables: {}, widgets: {}, secret: [] });

/** A flow tried to keep more than MAX_FLOW_STATE_BYTES: the action that did it fails, the call goes on. */
export class FlowStateTooLargeError extends AppError {
  constructor(bytes: number) {
    super(500, 'Flow state too large', {
      logMessage: `The flow's variables would take ${bytes} bytes; at most ${MAX_FLOW_STATE_BYTES} are kept`,
    });
    this.name = 'FlowStateTooLargeError';
  }
}

export const flowStateKeys = (kind: Kind, sid: string) => ({
  partitionKey: partitionOf(kind, sid),
  rowKey: `sid|${sid}${STATE_SUFFIX}`,
});

export const isFlowStateRow = (rowKey: string | undefined): boolean => !!rowKey?.endsWith(STATE_SUFFIX);

/** The state as its entity holds it, or an empty state for anything unreadable. */
export function flowStateFromEntity(entity: Record<string, unknown>): FlowState {
  try {
    const value = JSON.parse(String(entity.state)) as Partial<FlowState>;
    return {
      variables: isPlainObject(value.variables) ? value.variables : {},
      widgets: isPlainObject(value.widgets) ? value.widgets : {},
      secret: Array.isArray(value.secret) ? value.secret.filter((name) => typeof name === 'string') : [],
      ...(value.entered === true ? { entered: true as const } : {}),
    };
  } catch {
    return emptyFlowState();
  }
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The state as stored: JSON within the bound, or FlowStateTooLargeError. */
export function serializedFlowState(state: FlowState): string {
  const json = JSON.stringify(state);
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_FLOW_STATE_BYTES) throw new FlowStateTooLargeError(bytes);
  return json;
}

export interface StoredFlowState {
  state: FlowState;
  /** Undefined when the call has no state yet. */
  etag: string | undefined;
}

export async function readFlowState(
  settings: Settings,
  kind: Kind,
  sid: string,
  signal: AbortSignal,
): Promise<StoredFlowState> {
  return withTables(settings, signal, async ({ records }) => {
    const { partitionKey, rowKey } = flowStateKeys(kind, sid);
    try {
      const entity = await records.getEntity<Record<string, unknown>>(partitionKey, rowKey, { abortSignal: signal });
      return { state: flowStateFromEntity(entity), etag: entity.etag };
    } catch (error) {
      if (storageStatus(error) === 404) return { state: emptyFlowState(), etag: undefined };
      throw error;
    }
  });
}

/**
 * Writes the state a turn ends with: created on the first write, replaced only if nobody wrote
 * it since `etag` was read (turns of one call come one at a time; a replayed turn loses).
 * Answers false when another write got there first.
 */
export async function writeFlowState(
  settings: Settings,
  kind: Kind,
  sid: string,
  state: FlowState,
  etag: string | undefined,
  signal: AbortSignal,
): Promise<boolean> {
  const entity = { ...flowStateKeys(kind, sid), state: serializedFlowState(state) };
  return withTables(settings, signal, async ({ records }) => {
    try {
      if (etag === undefined) await records.createEntity(entity, { abortSignal: signal });
      else await records.updateEntity(entity, 'Replace', { etag, abortSignal: signal });
      return true;
    } catch (error) {
      const status = storageStatus(error);
      if (status === 409 || status === 412) return false;
      throw error;
    }
  });
}

/** The variables as a record shows them: secret ones masked. */
export const shownVariables = (state: FlowState): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(state.variables).map(([name, value]) => [name, state.secret.includes(name) ? '•••' : value]),
  );
