/**
 * `npm run simulate -- <sms|call|place-call|converse|campaign|fake-crm> …`: try the app as Twilio and a phone would,
 * against npm start (http://localhost:7071) or any deployment with --url.
 */
import { integerOption, parseCommandLine, UsageError } from '../cli/args';
import { EXIT, runCommand } from '../cli/command';
import type { Io } from '../cli/output';
import { callerInputs } from './inputs';
import { simulatedTime } from './clock';
import { simulateContext } from './context';
import { simulateCall, simulateSms } from './inbound';
import { simulateCampaign } from './campaign';
import { simulateConverse } from './converse';
import { FAKE_CRM_PORT, serveFakeCrm } from './fakeCrm';
import { simulatePlaceCall } from './placeCall';

export const USAGE = `Usage: npm run simulate -- <command> [options]

Commands:
  sms --body <text> [--from <number>] [--to <number>] [--key <function key>]
      send the app a signed incoming SMS and print its reply, then the messaging rule that
      answered as the app recorded it (GET /api/messages/{sid})
  call [--from <number>] [--to <number>] [--input <keys|say:words|silence>]… [--dial-outcome <outcome>] [--key <function key>]
      call the app: print what the caller hears, one line per TwiML verb, then the path the
      flow took as the app recorded it (GET /api/calls/{sid}/transcript); each <Gather> or
      <Record> takes the next --input in order: keys (1, 42#, #), words (say:appointment) or
      silence. --digits <keys>… and --speech <words>… are shorthands when only one kind is
      given (each <Gather> takes the next of the kind it listens for); not with --input.
      --dial-outcome: completed, answered, busy, no-answer, failed or canceled; input the
      TwiML never asked for is reported
  place-call --to <number> [--say <text> | --flow-step <step> [--var <name=value>]…]
             [--machine-detection Enable|DetectMessageEnd] [--answered-by <who>]
             [--input <keys|say:words|silence>]… [--key <function key>] [--timeout <seconds>]
      ask the app to place a call (POST /api/calls), print what the callee hears on the
      local emulator and the path the flow took, then the app's record of the call
      (GET /api/calls/{sid}). --flow-step and --var: the call's flow step and variables.
      --machine-detection: Twilio's answering machine detection. --answered-by: who picks up
      on the emulator: human, machine_start, machine_end_beep, machine_end_silence,
      machine_end_other, fax or unknown (with it, --machine-detection defaults to
      DetectMessageEnd, or Enable for machine_start). --input (or --digits, --speech): what
      the person called presses or says at each <Gather>
  campaign [--count <n>] [--rate <per second>] [--body <text>] [--call [--step <step>]] [--key <function key>] [--timeout <seconds>]
      start a small campaign (POST /api/campaigns: --count fictional numbers from
      +15550200000, default 5, at --rate, default 1 per second) of texts, or of calls into the
      flow's --step with --call; print its progress each second until every send has settled,
      then its rate (GET /api/campaigns/{id}; --json: the whole progress)
  fake-crm [--port <port>]
      serve the CRM of flows/examples/crm-lookup.json on 127.0.0.1 (default port 7079) until
      Ctrl-C, write .local/flows/crm-lookup.json (the example pointed at it) and print how to
      start the app with it and which caller gets which answer (docs/flows.md)
  converse --flow-step <step> [--replies "5|-|yes|STOP"] [--to <number>] [--var name=value]… [--key <function key>]
      start a text conversation (POST /api/messages with flow) with --to (default +15550100199),
      then text each reply from them through the local emulator; - leaves a question
      unanswered: the conversation timer runs at its deadline (--replies=-|… when the
      first is -). Prints the conversation's path as it grows (GET /api/conversations/{id})

Options for every command:
  --url <origin>   the app to send the webhooks to (default: npm start's, else
                   http://localhost:7071). Without --url, when the Twilio target is the local
                   emulator (npm start's session or TWILIO_API_BASE_URL), sms and call ask the
                   emulator to text or ring the number, and the number's own voice and SMS
                   URLs decide where the webhooks go, as on Twilio
  --at <time>      sms and call: when the text or call happens, e.g. 2026-06-07T10:00 (in the
                   flow file's time zone) or 2026-06-07T10:00:00Z, to try open hours, closed hours
                   or a closure on any day; the local host (npm start) honors it, Azure never does
  --json           print one JSON document
  --help           this text

--to defaults to TWILIO_PHONE_NUMBER, --from to the fictional +15550100199. The auth token that signs the webhooks comes from the
environment or local.settings.json, else from npm start's session (.local/dev-session-<port>.json).`;

const COMMON = {
  url: { type: 'string' },
  at: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

/** `simulate campaign`: its options read, checked and passed on. */
function campaignCommand(rest: string[], io: Io): Promise<number> {
  const { values } = parseCommandLine(rest, {
    ...COMMON,
    count: { type: 'string' },
    rate: { type: 'string' },
    body: { type: 'string' },
    call: { type: 'boolean' },
    step: { type: 'string' },
    key: { type: 'string' },
    timeout: { type: 'string' },
  });
  return simulateCampaign(simulateContext(io, values), {
    ...values,
    count: integerOption(values.count, 'count', 1, 1000),
    rate: integerOption(values.rate, 'rate', 1, 100),
    timeout: integerOption(values.timeout, 'timeout', 1, 3600),
  });
}

export async function runSimulate(argv: string[], io: Io): Promise<number> {
  return runCommand(io, USAGE, async () => {
    const [command, ...rest] = argv;
    if (command === undefined || command === '--help' || command === 'help') {
      io.stdout.write(`${USAGE}\n`);
      return command === undefined ? EXIT.usage : EXIT.ok;
    }
    if (rest.includes('--help')) {
      io.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    switch (command) {
      case 'sms': {
        const { values } = parseCommandLine(rest, {
          ...COMMON,
          from: { type: 'string' },
          to: { type: 'string' },
          body: { type: 'string' },
          key: { type: 'string' },
        });
        return simulateSms(simulateContext(io, values), { ...values, at: simulatedTime(values.at) });
      }
      case 'call': {
        const { values } = parseCommandLine(rest, {
          ...COMMON,
          from: { type: 'string' },
          to: { type: 'string' },
          digits: { type: 'string', multiple: true },
          speech: { type: 'string', multiple: true },
          input: { type: 'string', multiple: true },
          'dial-outcome': { type: 'string' },
          key: { type: 'string' },
        });
        return simulateCall(simulateContext(io, values), {
          ...values,
          input: callerInputs(values),
          at: simulatedTime(values.at),
        });
      }
      case 'place-call': {
        const { values } = parseCommandLine(rest, {
          ...COMMON,
          to: { type: 'string' },
          say: { type: 'string' },
          'flow-step': { type: 'string' },
          var: { type: 'string', multiple: true },
          'machine-detection': { type: 'string' },
          'answered-by': { type: 'string' },
          digits: { type: 'string', multiple: true },
          speech: { type: 'string', multiple: true },
          input: { type: 'string', multiple: true },
          key: { type: 'string' },
          timeout: { type: 'string' },
        });
        const timeout = integerOption(values.timeout, 'timeout', 1, 600);
        return simulatePlaceCall(simulateContext(io, values), { ...values, timeout });
      }
      case 'campaign':
        return campaignCommand(rest, io);
      case 'converse': {
        const { values } = parseCommandLine(rest, {
          ...COMMON,
          'flow-step': { type: 'string' },
          replies: { type: 'string' },
          to: { type: 'string' },
          from: { type: 'string' },
          var: { type: 'string', multiple: true },
          key: { type: 'string' },
        });
        return simulateConverse(simulateContext(io, values), values);
      }
      case 'fake-crm': {
        const { values } = parseCommandLine(rest, { port: { type: 'string' } });
        return serveFakeCrm(io, integerOption(values.port, 'port', 0, 65535) ?? FAKE_CRM_PORT);
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  });
}
