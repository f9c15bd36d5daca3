/**
 * `http` (Studio's Make HTTP Request): ask the owner's system while the caller waits. The URL's
 * scheme and host are written in the file; only its path and query may come from templates, and
 * what they insert is URL-encoded. A header's value may name an app setting (a token kept in Key
 * Vault), never written in the file and never logged. The answer is kept as
 * `widgets.<name>` (`status`, `parsed`); `ok` (2xx) and `failed` (anything else, a timeout, an
 * answer that does not parse) may each lead to a step.
 */
import * as z from 'zod';
import { DEADLINES } from '../../config/deadlines';
import { callOwner, type OwnerRequest } from '../../outbound/ownerRequest';
import { actionName, stepName, templateText } from '../fields';
import { defineAction, lazySchema, outcomeSteps, type ActionProblem, type ActionRun } from './action';

const header = lazySchema(() =>
  z.union(
    [
      templateText,
      z.strictObject({
        setting: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an app setting name'),
        prefix: z.string().default(''),
      }),
    ],
    {
      error: 'must be a template, or { "setting": "<APP_SETTING>", "prefix": "Bearer " }',
    },
  ),
);

const schema = lazySchema(() =>
  z
    .strictObject({
      name: actionName.meta({ description: 'Where the answer is kept: {{ widgets.<name>.parsed }}.' }),
      method: z.enum(['GET', 'POST'], { error: 'must be GET or POST' }).default('GET'),
      url: templateText.meta({
        description:
          'https://host/path?query; templates only in the path and query. http only to this machine (127.0.0.1, localhost), for local tests.',
      }),
      headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'must be a header name'), header()).default({}),
      json: z
        .record(z.string(), z.unknown())
        .optional()
        .meta({ description: 'A JSON body; its strings are templates.' }),
      form: z
        .record(z.string(), templateText)
        .optional()
        .meta({ description: 'A form body; its values are templates.' }),
      timeoutMs: z
        .int('must be whole milliseconds')
        .min(100, 'must be at least 100 ms')
        .max(DEADLINES.flowActionMaxMs, `must be at most ${DEADLINES.flowActionMaxMs} ms`)
        .default(DEADLINES.flowActionMs),
      ok: stepName.optional().meta({ description: 'Step after a 2xx answer; default: the next action.' }),
      failed: stepName
        .optional()
        .meta({ description: 'Step after any failure; default: the flow’s onError, else the next action.' }),
    })
    .meta({ description: "Ask the owner's system over HTTP; the answer is kept under the action's name." }),
);
type Http = z.output<ReturnType<typeof schema>>;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const MARK = 'x-template-x';

/** The URL with every template replaced by a plain word, to read its fixed parts. */
const skeleton = (url: string) => url.replace(/\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g, MARK);

/** What is wrong with where the action may send a request, or undefined. */
export function urlProblem(url: string): string | undefined {
  const fixed = skeleton(url);
  if (!URL.canParse(fixed)) return 'must be an absolute URL: https://host/path';
  const parsed = new URL(fixed);
  const origin = /^[a-z]+:\/\/[^/?#]*/i.exec(fixed)?.[0] ?? '';
  if (origin.includes(MARK)) return 'must have its scheme and host written out: templates only in the path and query';
  if (parsed.username || parsed.password) return 'must not carry credentials: use a header from an app setting';
  if (parsed.protocol === 'https:') return undefined;
  if (parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname)) return undefined;
  return 'must be https (http only to 127.0.0.1 or localhost, for local tests)';
}

function request(run: ActionRun, http: Http): OwnerRequest | string {
  const url = run.renderUrl(http.url);
  if (new URL(url).protocol === 'http:' && run.inAzure) return 'http is for local tests only: use https in Azure';
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(http.headers)) {
    if (typeof value === 'string') headers[name] = run.render(value);
    else {
      const secret = run.setting(value.setting);
      if (secret === undefined) return `the app setting ${value.setting} (header ${name}) is not set`;
      headers[name] = `${value.prefix}${secret}`;
    }
  }
  if (http.json !== undefined) {
    headers['content-type'] = 'application/json';
    return { method: http.method, url, headers, body: JSON.stringify(renderJson(run, http.json)) };
  }
  if (http.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    const form = new URLSearchParams();
    for (const [name, value] of Object.entries(http.form)) form.append(name, run.render(value));
    return { method: http.method, url, headers, body: form.toString() };
  }
  return { method: http.method, url, headers };
}

function renderJson(run: ActionRun, value: unknown): unknown {
  if (typeof value === 'string') return run.render(value);
  if (Array.isArray(value)) return value.map((item) => renderJson(run, item));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([name, inner]) => [name, renderJson(run, inner)]));
  return value;
}

export const http = defineAction({
  get schema() {
    return schema();
  },
  ends: false,
  channels: ['voice', 'messaging'],
  steps: outcomeSteps,
  problems: (value): ActionProblem[] => {
    const problem = urlProblem(value.url);
    return problem ? [{ path: ['url'], message: problem }] : [];
  },
  write: () => undefined,
  run: async (run, value) => {
    const made = request(run, value);
    const answer =
      typeof made === 'string'
        ? { outcome: 'failed' as const, reason: made, ms: 0 }
        : await callOwner(made, run.setting('FLOW_HTTP_SECRET'), run.deadline(value.timeoutMs));
    run.state.widgets[value.name] = {
      status: answer.status ?? 0,
      ...(answer.parsed !== undefined ? { parsed: answer.parsed } : {}),
      ...(answer.outcome === 'failed' ? { error: answer.reason } : {}),
    };
    const next = answer.outcome === 'ok' ? value.ok : (value.failed ?? run.onError);
    run.note({
      kind: 'http',
      name: value.name,
      outcome: answer.outcome,
      status: answer.status,
      ms: answer.ms,
      next,
      ...(answer.outcome === 'failed' ? { reason: answer.reason } : {}),
    });
    return next;
  },
});
