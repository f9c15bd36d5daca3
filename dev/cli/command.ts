import { CommandError, UsageError } from './args';
import { colorEnabled, palette, type Io } from './output';

/** Exit codes: 0 done, 1 failed, 2 called wrongly. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/**
 * Runs a command body and turns what it throws into an exit code and one clear line on
 * stderr: usage mistakes with the usage text, known failures without a stack.
 */
export async function runCommand(io: Io, usage: string, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`${error.message}\n\n${usage}\n`);
      return EXIT.usage;
    }
    reportError(io, error instanceof CommandError || error instanceof Error ? error.message : String(error));
    return EXIT.failed;
  }
}

/** Runs a command as a program: exit code set, nothing thrown. */
export function runMain(run: (argv: string[], io: Io) => Promise<number>, io: Io): void {
  run(process.argv.slice(2), io).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      reportError(io, error instanceof Error ? error.message : String(error));
      process.exitCode = EXIT.failed;
    },
  );
}

function reportError(io: Io, message: string) {
  io.stderr.write(`${palette(colorEnabled(io.stderr, io.env)).red('error')} ${message}\n`);
}
