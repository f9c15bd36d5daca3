/**
 * The one error type: every failure the app reports is an AppError, thrown where the problem is
 * found with its status, its public message and the problems a caller can fix (one per field),
 * and turned into an answer in one place (`errorResponse` in lib/http/handle.ts); anything else
 * is a bare 500 whose detail only the log sees. A new kind of error is a subclass here or beside
 * the code that raises it (ConfigError in lib/config/settings.ts); nothing else changes.
 */
export interface Problem {
  field: string;
  message: string;
}

export interface AppErrorOptions {
  /** One entry per bad field, named as the caller wrote it. */
  problems?: Problem[];
  /** More of the body, e.g. Twilio's error code. */
  extra?: Record<string, unknown>;
  /** Whether and how loudly it is logged; `logMessage` may name internals, the response never does. */
  log?: 'warn' | 'error';
  logMessage?: string;
}

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly publicMessage: string,
    readonly options: AppErrorOptions = {},
  ) {
    super(options.logMessage ?? publicMessage);
    this.name = 'AppError';
  }
}

/** The request is wrong (4xx): it names what to fix. */
export class BadRequestError extends AppError {
  constructor(status: number, message: string, problems: Problem[] = []) {
    super(status, message, { problems });
    this.name = 'BadRequestError';
  }
}

export class NotFoundError extends AppError {
  constructor(what: string) {
    super(404, what);
    this.name = 'NotFoundError';
  }
}

/** A dependency is down: the caller should try again later (Twilio retries a webhook that answers 503 when told to). */
export class UnavailableError extends AppError {
  constructor(message: string, publicMessage: string) {
    super(503, publicMessage, { log: 'error', logMessage: message });
    this.name = 'UnavailableError';
  }
}

/**
 * A dependency failed before anything the request asked for was done or could be seen (a
 * campaign whose creation stopped before its commit): a retry with the same Idempotency-Key
 * does the work, rather than being answered this 503 again.
 */
export class NothingDoneError extends UnavailableError {
  constructor(cause: AppError) {
    super(cause.message, cause.publicMessage);
    this.name = 'NothingDoneError';
  }
}

/** Name and message only: error objects from HTTP clients carry request config, credentials included. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${code ? ` ${String(code)}` : ''}: ${error.message}`;
  }
  return String(error);
}
