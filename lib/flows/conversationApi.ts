/**
 * The API of text conversations: POST /api/messages with `flow` starts one, GET
 * /api/conversations/{id} shows it with its path. Loaded on use: no webhook's cold start pays for it.
 */
import type { HttpHandler, HttpResponseInit, InvocationContext } from '@azure/functions';
import { now } from '../config/clock';
import { routePath } from '../config/routes';
import { getSettings, type Settings } from '../config/settings';
import { BadRequestError, NotFoundError } from '../errors';
import { handle } from '../http/handle';
import { json } from '../http/responses';
import { refuseIfOptedOut } from '../outbound/optOut';
import type { PostMessageRequest } from '../outbound/schemas';
import { readConversation, type Conversation } from '../records/conversations';
import { shownVariables } from '../records/flowState';
import { CONVERSATION_ID, newConversationId, startConversation } from './converse';
import { pathLine } from './conversation';
import { getFlows } from './load';
import { variablesProblems } from './placedCall';

/** POST /api/messages with `flow`: 201 with the conversation, 400 naming a bad step or variable, 409 opted out or already talking. */
export async function startFromRequest(
  settings: Settings,
  origin: string,
  request: PostMessageRequest & { flow: NonNullable<PostMessageRequest['flow']> },
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const flows = getFlows(settings);
  const steps = flows.messaging?.steps ?? {};
  const { step, variables } = request.flow;
  variablesProblems(variables);
  if (!Object.hasOwn(steps, step))
    throw new BadRequestError(400, 'Invalid request', [
      {
        field: 'flow.step',
        message: `is not a step of messaging.steps: ${JSON.stringify(step)} (steps: ${Object.keys(steps).join(', ') || 'none'})`,
      },
    ]);
  const line = request.from ?? settings.TWILIO_PHONE_NUMBER;
  await refuseIfOptedOut(settings, request.to, line, `a conversation at ${step}`);
  const conversation = await startConversation(
    settings,
    flows,
    {
      id: newConversationId(),
      line,
      party: request.to,
      step,
      origin,
      variables,
      trigger: { From: line, To: request.to },
      now: now(),
    },
    context,
  );
  context.log(`Started conversation ${conversation.id} with ${request.to} at ${step}`);
  return json(201, shownConversation(conversation));
}

/** The conversation as the API shows it: secret variables masked, its path in order. */
export const shownConversation = (conversation: Conversation) => ({
  id: conversation.id,
  url: `${routePath('getConversation').replace('{id}', conversation.id)}`,
  line: conversation.line,
  party: conversation.party,
  status: conversation.status,
  ...(conversation.step !== undefined ? { waitingAt: conversation.step, dueAt: conversation.dueAt } : {}),
  ...(conversation.endReason !== undefined ? { endReason: conversation.endReason } : {}),
  startedAt: conversation.startedAt,
  updatedAt: conversation.updatedAt,
  variables: shownVariables(conversation.state),
  pathLine: pathLine(conversation.path),
  path: conversation.path,
});

/** GET /api/conversations/{id}. */
export const conversationReader: HttpHandler = handle(async (request) => {
  const id = request.params.id ?? '';
  if (!CONVERSATION_ID.test(id))
    throw new BadRequestError(400, 'Invalid conversation id', [
      { field: 'id', message: 'must be CV and 32 lowercase hex digits, as POST /api/messages answered' },
    ]);
  const stored = await readConversation(getSettings(), id);
  if (!stored) throw new NotFoundError(`No conversation ${id}`);
  return json(200, shownConversation(stored.conversation));
});
