/**
 * `gather`: listen for keys or speech, then go where the branches say. Its callback matches
 * what was heard, asks again up to `retries` times, then takes noInput, otherwise or the next
 * actions.
 */
import { own } from '../../http/own';
import type VoiceResponse from 'twilio/lib/twiml/VoiceResponse';
import * as z from 'zod';
import { field } from '../../http/requests';
import { keys, seconds, stepName, text } from '../fields';
import { defineAction, lazySchema, type ActionTwiml } from './action';
import { pause, pauseIn } from './pause';
import { play, playIn } from './play';
import { say, speak } from './say';

const promptAction = lazySchema(() =>
  z.union(
    [
      z.strictObject({ say: say.schema }),
      z.strictObject({ play: play.schema }),
      z.strictObject({ pause: pause.schema }),
    ],
    {
      error: 'must be one of say, play or pause',
    },
  ),
);

const schema = lazySchema(() =>
  z
    .strictObject({
      prompt: z
        .union([text, z.array(promptAction()).min(1)])
        .optional()
        .meta({ description: 'What the caller hears while the line listens: text, or say/play/pause actions.' }),
      input: z.enum(['dtmf', 'speech', 'dtmf speech']).default('dtmf'),
      numDigits: z.int().min(1).max(32).optional(),
      timeout: seconds(60).optional(),
      finishOnKey: z
        .union([z.literal(''), z.string().regex(/^[0-9*#]$/, 'must be one key: a digit, * or #')])
        .optional(),
      hints: z
        .array(z.string().min(1))
        .optional()
        .meta({ description: 'Words and phrases the speech recognizer should expect.' }),
      language: z.string().min(2).optional(),
      branches: z
        .record(keys, stepName)
        .default({})
        .meta({ description: 'Keys pressed → step, e.g. { "1": "sales" }.' }),
      keywords: z
        .record(z.string().min(1), stepName)
        .default({})
        .meta({ description: 'Words spoken → step, e.g. { "sales": "sales" }; case does not matter.' }),
      noInput: stepName
        .optional()
        .meta({ description: 'Step when the caller gives no input after the retries; default: otherwise.' }),
      otherwise: stepName.optional().meta({
        description: 'Step for input no branch expects, after the retries; default: the actions after this gather.',
      }),
      retries: z
        .int()
        .min(0)
        .max(5)
        .default(1)
        .meta({ description: 'How many times to ask again before noInput/otherwise.' }),
      reprompt: text.default("Sorry, I didn't get that.").meta({ description: 'Said before asking again.' }),
    })
    .meta({ description: 'Listen for keys or speech, then go where the branches say.' }),
);
export type Gather = z.output<ReturnType<typeof schema>>;

/** The Gather verb, its prompt inside, for the `attempt`th time of asking. */
function writeGather(twiml: ActionTwiml, gather: Gather, attempt: number): void {
  const verb = twiml.response.gather({
    input: gather.input.split(' ') as NonNullable<VoiceResponse.GatherAttributes['input']>,
    action: twiml.url({ try: attempt, turn: twiml.nextTurn }),
    method: 'POST',
    actionOnEmptyResult: true,
    ...(gather.numDigits !== undefined ? { numDigits: gather.numDigits } : {}),
    ...(gather.timeout !== undefined ? { timeout: gather.timeout } : {}),
    ...(gather.finishOnKey !== undefined ? { finishOnKey: gather.finishOnKey } : {}),
    ...(gather.hints ? { hints: gather.hints.join(', ') } : {}),
    ...(gather.language ? { language: gather.language as VoiceResponse.GatherAttributes['language'] } : {}),
  });
  const prompt = typeof gather.prompt === 'string' ? [{ say: gather.prompt }] : (gather.prompt ?? []);
  for (const action of prompt) {
    if ('say' in action) speak(twiml, verb, action.say);
    else if ('play' in action) playIn(verb, action.play);
    else pauseIn(verb, action.pause);
  }
}

/** The step the keys pressed, else the words spoken, lead to. */
export function gatherTarget(
  gather: Gather,
  digits: string | undefined,
  speech: string | undefined,
): string | undefined {
  return (
    (digits ? own(gather.branches, digits) : undefined) ?? (speech ? spokenKeyword(gather.keywords, speech) : undefined)
  );
}

/** The step of the first keyword spoken (as words, case and punctuation ignored). */
export function spokenKeyword(keywords: Record<string, string>, speech: string): string | undefined {
  const words = ` ${speech
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()} `;
  for (const [keyword, step] of Object.entries(keywords)) {
    const wanted = keyword
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, ' ')
      .trim();
    if (wanted && words.includes(` ${wanted} `)) return step;
  }
  return undefined;
}

export const gather = defineAction({
  get schema() {
    return schema();
  },
  ends: true,
  steps: ({ branches, keywords, noInput, otherwise }) => [
    ...Object.entries(branches).map(([key, step]) => ({ path: ['branches', key], step })),
    ...Object.entries(keywords).map(([key, step]) => ({ path: ['keywords', key], step })),
    ...(noInput ? [{ path: ['noInput'], step: noInput }] : []),
    ...(otherwise ? [{ path: ['otherwise'], step: otherwise }] : []),
  ],
  problems: ({ branches, keywords }) =>
    Object.keys(branches).length || Object.keys(keywords).length
      ? []
      : [
          {
            path: [],
            message:
              'has no branches or keywords: whatever the caller presses or says, it only asks again and then goes to otherwise/noInput or the next actions. Add "branches" (keys → step) or "keywords" (words → step), or use say and pause if no answer is wanted',
          },
        ],
  write: (twiml, value) => writeGather(twiml, value, 1),
  callback: (call, gather) => {
    const digits = field(call.params, 'Digits') || undefined;
    const speech = field(call.params, 'SpeechResult')?.trim() || undefined;
    const heard = { ...(digits ? { digits } : {}), ...(speech ? { speech } : {}) };
    const target = gatherTarget(gather, digits, speech);
    if (target) return call.then(heard, { step: target });
    const problem = digits || speech ? 'no match' : 'no input';
    const attempt = call.place.try ?? 1;
    if (attempt <= gather.retries) {
      call.response.say(call.sayAttributes, call.text(gather.reprompt));
      writeGather(call, gather, attempt + 1);
      return call.answer({ ...heard, outcome: `${problem}, asked again` });
    }
    return call.then(heard, {
      step: (problem === 'no input' ? gather.noInput : undefined) ?? gather.otherwise,
      outcome: problem,
    });
  },
});
