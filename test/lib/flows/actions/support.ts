/** A call's first request and a flow of one step, for the action modules' tests. */
import { loadSettings } from '../../../../lib/config/settings';
import { flowFileSchema, type FlowFile } from '../../../../lib/flows/schema';
import { answerCall, type CallText } from '../../../../lib/flows/voice';
import { baseSettings } from '../../../support/settings';

export const settings = loadSettings(baseSettings);

export const call = {
  CallSid: 'CA0123456789abcdef0123456789abcdef',
  From: '+15550100199',
  To: '+15005550006',
  CallStatus: 'in-progress',
};

/** A voice flow whose entry step `menu` has these actions, and the other steps named (each says its name). */
export const flowOf = (actions: object[], others: string[] = []): FlowFile =>
  flowFileSchema.parse({
    voice: {
      entry: 'menu',
      steps: {
        menu: { actions },
        ...Object.fromEntries(others.map((name) => [name, { actions: [{ say: name }] }])),
      },
    },
  });

export const XML = '<?xml version="1.0" encoding="UTF-8"?>';

/** The TwiML a new call gets from a flow whose entry step has these actions (without the XML declaration). */
export async function twimlOf(actions: object[], others: string[] = [], outbox?: CallText[]): Promise<string> {
  const answer = await answerCall(flowOf(actions, others), call, settings, undefined, { outbox });
  return answer.twiml.slice(XML.length);
}

/** The first problem the flow schema finds in a flow with these actions, as its author reads it. */
export function refusal(actions: object[]): string | undefined {
  const parsed = flowFileSchema.safeParse({ voice: { entry: 'menu', steps: { menu: { actions } } } });
  return parsed.success ? undefined : parsed.error.issues.map((issue) => issue.message).join('; ');
}
