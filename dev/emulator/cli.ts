/**
 * `npm run emulator`: the local Twilio emulator on its own, for running the app against it
 * by hand (TWILIO_API_BASE_URL). npm start embeds the same emulator when no Twilio
 * credentials are configured.
 */
import { CommandError, integerOption, parseCommandLine, UsageError } from '../cli/args';
import { EXIT, runCommand } from '../cli/command';
import { Printer, type Io } from '../cli/output';
import { readSettings, resolveTwilioTarget, type TwilioTarget } from '../cli/settings';
import { shortSid } from '../cli/twilio';
import { DIAL_OUTCOMES, type DialOutcome } from './interpreter/callTypes';
import { startEmulator, type Emulator } from './rest/server';
import { localAccount } from './interpreter/twilioApi';
import { LOCAL_PHONE_NUMBER } from '../../lib/config/settings';

export const USAGE = `Usage: npm run emulator -- [options]

Runs a local Twilio (REST API, calls, messages, webhooks) until Ctrl+C.

Options:
  --port <port>            default 7072 (0 for any free port)
  --host <address>         default 127.0.0.1
  --number <E.164>         a number of the emulated account (repeatable; default TWILIO_PHONE_NUMBER)
  --digits <keys>          what the callee presses at each <Gather> (repeatable)
  --speech <words>         what the callee says at each <Gather input="speech"> (repeatable)
  --dial-outcome <status>  how every <Dial> ends: ${DIAL_OUTCOMES.join(', ')}
  --quiet                  print only the address
  --help                   this text

The account is the one configured (TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN in the
environment or local.settings.json); without one, local credentials are made up and printed.`;

export const DEFAULT_EMULATOR_PORT = 7072;

function account(io: Io): TwilioTarget & { generated: boolean } {
  try {
    return { ...resolveTwilioTarget(io.root, io.env), generated: false };
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    const settings = readSettings(io.root, io.env);
    return {
      ...localAccount(),
      phoneNumber: settings.TWILIO_PHONE_NUMBER,
      source: 'settings',
      generated: true,
    };
  }
}

const OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  number: { type: 'string', multiple: true },
  digits: { type: 'string', multiple: true },
  speech: { type: 'string', multiple: true },
  'dial-outcome': { type: 'string' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseCommandLine<typeof OPTIONS>>['values'];

/** Starts the emulator and resolves once it has stopped (on `stop`, SIGINT or SIGTERM). */
export async function runEmulator(argv: string[], io: Io, stop?: AbortSignal): Promise<number> {
  return runCommand(io, USAGE, async () => {
    const { values } = parseCommandLine(argv, OPTIONS);
    if (values.help) {
      io.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    const print = new Printer(io, false);
    const credentials = account(io);
    const emulator = await start(values, credentials, print);
    printBanner(print, emulator, credentials, Boolean(values.quiet));
    await stopped(stop);
    await emulator.stop();
    return EXIT.ok;
  });
}

async function start(values: Values, credentials: ReturnType<typeof account>, print: Printer): Promise<Emulator> {
  const dialOutcome = values['dial-outcome'];
  if (dialOutcome !== undefined && !DIAL_OUTCOMES.includes(dialOutcome as DialOutcome)) {
    throw new UsageError(`--dial-outcome must be one of ${DIAL_OUTCOMES.join(', ')}`);
  }
  try {
    return await startEmulator({
      accountSid: credentials.accountSid,
      authToken: credentials.authToken,
      port: integerOption(values.port, 'port', 0, 65535) ?? DEFAULT_EMULATOR_PORT,
      host: values.host ?? '127.0.0.1',
      phoneNumbers: values.number ?? [credentials.phoneNumber ?? LOCAL_PHONE_NUMBER],
      script: { digits: values.digits, speech: values.speech, dialOutcome: dialOutcome as DialOutcome | undefined },
      log: values.quiet ? undefined : (line) => print.line(print.paint.dim(line)),
    });
  } catch (error) {
    throw new Error(`the emulator could not start: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function printBanner(print: Printer, emulator: Emulator, credentials: ReturnType<typeof account>, quiet: boolean) {
  const { paint } = print;
  print.line(`Twilio emulator on ${paint.bold(emulator.url)}`);
  if (quiet) return;
  const source = credentials.generated
    ? 'made up for this run'
    : credentials.source === 'dev session'
      ? 'from the npm start session'
      : 'from your settings';
  print.line(`  account  ${shortSid(credentials.accountSid)} (${source})`);
  print.line(`  numbers  ${[...emulator.phoneNumbers.values()].map((number) => number.phoneNumber).join(', ')}`);
  print.line(`  Point the app at it with TWILIO_API_BASE_URL=${emulator.url}`);
  if (credentials.generated) {
    // Local, made-up credentials: the app needs them to talk to this emulator.
    print.line(`  and TWILIO_ACCOUNT_SID=${credentials.accountSid} TWILIO_AUTH_TOKEN=${credentials.authToken}`);
  }
  print.line(paint.dim('  Press Ctrl+C to stop.'));
}

/** Resolves on SIGINT, SIGTERM or `stop`. */
function stopped(stop: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
    if (stop?.aborted) done();
    stop?.addEventListener('abort', done, { once: true });
  });
}
