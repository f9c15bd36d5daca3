import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in how a command was called: reported with the usage, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure to report in one line, without a stack: bad credentials, an unreachable app. */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, with its errors turned into UsageErrors that name the option. */
export function parseCommandLine<T extends Options>(argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError(
      error instanceof Error ? error.message.replace(/\. To specify a positional.*$/s, '') : String(error),
    );
  }
}

export function requireOption(value: string | undefined, name: string, hint?: string): string {
  if (value === undefined || value.trim() === '')
    throw new UsageError(`--${name} is required${hint ? ` ${hint}` : ''}`);
  return value.trim();
}

/** An integer option within bounds, or the fallback when absent. */
export function integerOption(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, not "${value}"`);
  }
  return number;
}

const E164 = /^\+[1-9]\d{1,14}$/;

export function phoneNumberOption(value: string | undefined, name: string, hint?: string): string {
  const number = requireOption(value, name, hint);
  if (!E164.test(number))
    throw new UsageError(`--${name} must be a phone number in E.164 form such as +15550001111, not "${number}"`);
  return number;
}
