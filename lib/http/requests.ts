import type { HttpRequest } from '@azure/functions';
import type * as z from 'zod';
import { BadRequestError, type Problem } from '../errors';
import { own } from './own';

/** Larger bodies are refused before parsing: no Twilio webhook or API call of ours comes near it. */
export const MAX_BODY_BYTES = 64 * 1024;

/** One problem per field, named as the caller wrote it; unknown keys are named one by one. */
export function zodProblems(error: z.ZodError): Problem[] {
  return error.issues.flatMap((issue) => {
    const at = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: at ? `${at}.${key}` : key, message: 'is not a known field' }));
    }
    return [{ field: at || '(body)', message: issue.message }];
  });
}

function mediaType(request: HttpRequest): string {
  return (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/** Reads the body as text after checking its media type and size; never reads more than the limit allows. */
export async function readBody(
  request: HttpRequest,
  expectedType: string,
  maxBytes: number = MAX_BODY_BYTES,
): Promise<string> {
  const type = mediaType(request);
  if (type !== expectedType) {
    throw new BadRequestError(415, `Content-Type must be ${expectedType}${type ? `, not ${type}` : ''}`);
  }
  const declared = Number(request.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const body = Buffer.from(await request.arrayBuffer());
  if (body.length > maxBytes) throw tooLarge(maxBytes);
  return body.toString('utf8');
}

const tooLarge = (maxBytes: number) => new BadRequestError(413, `Body is larger than ${maxBytes / 1024} KiB`);

/** Reads and validates a JSON body; every problem is named by field. */
export async function readJson<T extends z.ZodType>(
  request: HttpRequest,
  schema: T,
  maxBytes: number = MAX_BODY_BYTES,
): Promise<z.output<T>> {
  const text = await readBody(request, 'application/json', maxBytes);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new BadRequestError(400, 'Body is not valid JSON');
  }
  const result = schema.safeParse(data);
  if (!result.success) throw new BadRequestError(400, 'Invalid request', zodProblems(result.error));
  return result.data;
}

/** Form fields as Twilio's signature check wants them: every field, repeated ones as arrays. */
export type FormParams = Record<string, string | string[]>;

export function formParams(body: string): FormParams {
  // No prototype: a field named `__proto__` or `constructor` is a field like any other, and signed.
  const params = Object.create(null) as FormParams;
  for (const [key, value] of new URLSearchParams(body)) {
    const seen = own(params, key);
    params[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return params;
}

export async function readForm(request: HttpRequest): Promise<FormParams> {
  return formParams(await readBody(request, 'application/x-www-form-urlencoded'));
}

/** A single form value (the first when repeated). */
export const field = (params: FormParams, name: string): string | undefined => {
  const value = own(params, name);
  return Array.isArray(value) ? value[0] : value;
};
