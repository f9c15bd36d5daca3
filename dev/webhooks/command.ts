/**
 * `npm run webhooks -- --number +1… --base-url https://<app>.azurewebsites.net [--retry 3] [--dry-run]`
 * (locally, `npm run webhooks -- --dry-run`: npm start's session gives the number and the app's URL)
 *
 * Points a Twilio number at the functions: VoiceUrl and SmsUrl (POST) and StatusCallback,
 * optionally with Twilio's retry connection overrides (#rc=N&rp=ct,rt,5xx), and shows before and after.
 */
import { routeUrl } from '../../lib/config/routes';
import { secureOrigin } from '../../lib/config/secureUrl';
import {
  CommandError,
  integerOption,
  parseCommandLine,
  phoneNumberOption,
  requireOption,
  UsageError,
} from '../cli/args';
import { EXIT, runCommand } from '../cli/command';
import { alignRows, Printer, type Io } from '../cli/output';
import { DEV_SESSION_FILE, resolveTwilioTarget } from '../cli/settings';
import { describeTarget, explainTwilioError, twilioClientFor } from '../cli/twilio';

export const USAGE = `Usage: npm run webhooks -- --number +15550100000 --base-url https://<app>.azurewebsites.net [options]
       npm run webhooks -- --dry-run      (while npm start runs: its number and URL)

Points the Twilio number's voice, SMS and status callback webhooks at the functions, and the
account's debugger webhook (its errors, e.g. 11200) at POST /api/twilio/debugger: on the local
emulator it is set; Twilio has no API for it, so for a real account the URL to paste in the
Console (Monitor › Debugger › Webhook) is printed.

Options:
  --number <E.164>     the Twilio number to configure (default: TWILIO_PHONE_NUMBER, or the
                       number of npm start's session)
  --base-url <origin>  the app's public https origin (http only for localhost) (default: the
                       app of npm start's session)
  --retry <0-5>        ask Twilio to retry a webhook that times out or answers 5xx this many
                       times (#rc=N&rp=ct,rt,5xx)
  --dry-run            show what would change, change nothing
  --json               print one JSON document
  --help               this text

Credentials come from the environment or local.settings.json (TWILIO_ACCOUNT_SID,
TWILIO_AUTH_TOKEN, and TWILIO_API_BASE_URL for the local emulator), else from npm start's
session (.local/dev-session-<port>.json).`;

export interface NumberWebhooks {
  voiceUrl: string;
  voiceMethod: string;
  voiceFallbackUrl: string;
  voiceFallbackMethod: string;
  smsUrl: string;
  smsMethod: string;
  smsFallbackUrl: string;
  smsFallbackMethod: string;
  statusCallback: string;
  statusCallbackMethod: string;
}

/**
 * The webhooks for an app at `origin`. `retry` appends Twilio's connection overrides: a retry
 * count, and a policy that adds 5xx to Twilio's default (connect and read timeouts), since the
 * app answers 503 when it could not record a webhook.
 */
export function functionWebhooks(origin: string, retry?: number): NumberWebhooks {
  const suffix = retry === undefined ? '' : `#rc=${retry}&rp=ct,rt,5xx`;
  return {
    voiceUrl: `${routeUrl(origin, 'voiceWebhook')}${suffix}`,
    voiceMethod: 'POST',
    voiceFallbackUrl: routeUrl(origin, 'voiceFallback'),
    voiceFallbackMethod: 'POST',
    smsUrl: `${routeUrl(origin, 'smsWebhook')}${suffix}`,
    smsMethod: 'POST',
    smsFallbackUrl: routeUrl(origin, 'smsFallback'),
    smsFallbackMethod: 'POST',
    statusCallback: `${routeUrl(origin, 'statusCallback')}${suffix}`,
    statusCallbackMethod: 'POST',
  };
}

const pick = (number: NumberWebhooks): NumberWebhooks => ({
  voiceUrl: number.voiceUrl ?? '',
  voiceMethod: number.voiceMethod ?? '',
  voiceFallbackUrl: number.voiceFallbackUrl ?? '',
  voiceFallbackMethod: number.voiceFallbackMethod ?? '',
  smsUrl: number.smsUrl ?? '',
  smsMethod: number.smsMethod ?? '',
  smsFallbackUrl: number.smsFallbackUrl ?? '',
  smsFallbackMethod: number.smsFallbackMethod ?? '',
  statusCallback: number.statusCallback ?? '',
  statusCallbackMethod: number.statusCallbackMethod ?? '',
});

const ROWS: Array<[label: string, url: keyof NumberWebhooks, method: keyof NumberWebhooks]> = [
  ['Voice', 'voiceUrl', 'voiceMethod'],
  ['Voice fallback', 'voiceFallbackUrl', 'voiceFallbackMethod'],
  ['SMS', 'smsUrl', 'smsMethod'],
  ['SMS fallback', 'smsFallbackUrl', 'smsFallbackMethod'],
  ['Status callback', 'statusCallback', 'statusCallbackMethod'],
];

/** Where an option left out comes from, for the message when nothing provides it. */
const FROM_SESSION = `(or run npm start, whose session ${DEV_SESSION_FILE} gives it)`;

function parseBaseUrl(value: string): string {
  const result = secureOrigin.safeParse(value);
  if (result.success) return result.data;
  throw new UsageError(`--base-url ${result.error.issues[0]?.message ?? 'is not a valid URL'} (got "${value}")`);
}

/**
 * The account's debugger webhook: set on the emulator (its /_emulator/debugger, the console's
 * setting); Twilio sets it in the Console only, so for a real account the answer says where.
 */
async function pointDebuggerAt(
  target: ReturnType<typeof resolveTwilioTarget>,
  origin: string,
  dryRun: boolean,
): Promise<{ url: string; set: boolean; note: string }> {
  const url = routeUrl(origin, 'twilioDebugger');
  if (!target.apiBaseUrl)
    return { url, set: false, note: '(paste it in the Twilio Console: Monitor › Debugger › Webhook)' };
  if (dryRun) return { url, set: false, note: '(dry run)' };
  const response = await fetch(`${target.apiBaseUrl}/_emulator/debugger`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${target.accountSid}:${target.authToken}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ Url: url }),
  }).catch(() => undefined);
  return response?.ok
    ? { url, set: true, note: '(set on the emulator)' }
    : { url, set: false, note: `(the emulator did not take it: ${response?.status ?? 'unreachable'})` };
}

/** The account's number, or a CommandError that lists the numbers it has. */
async function findNumber(
  client: Awaited<ReturnType<typeof twilioClientFor>>,
  phoneNumber: string,
  target: Parameters<typeof explainTwilioError>[1],
) {
  let found;
  try {
    found = (await client.incomingPhoneNumbers.list({ phoneNumber, limit: 20 })).find(
      (number) => number.phoneNumber === phoneNumber,
    );
  } catch (error) {
    throw explainTwilioError(error, target);
  }
  if (!found) {
    const owned = await client.incomingPhoneNumbers.list({ limit: 5 }).catch(() => []);
    const hint = owned.length
      ? ` The account has ${owned.map((number) => number.phoneNumber).join(', ')}${owned.length === 5 ? ', …' : ''}.`
      : ' The account has no numbers.';
    throw new CommandError(`${phoneNumber} is not a number of this Twilio account.${hint}`);
  }
  return found;
}

export async function runWebhooks(argv: string[], io: Io): Promise<number> {
  return runCommand(io, USAGE, async () => {
    const { values } = parseCommandLine(argv, {
      number: { type: 'string' },
      'base-url': { type: 'string' },
      retry: { type: 'string' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    });
    const print = new Printer(io, Boolean(values.json));
    if (values.help) {
      io.stdout.write(`${USAGE}\n`);
      return EXIT.ok;
    }
    const retry = integerOption(values.retry, 'retry', 0, 5);
    const dryRun = Boolean(values['dry-run']);
    const target = resolveTwilioTarget(io.root, io.env);
    const phoneNumber = phoneNumberOption(values.number ?? target.phoneNumber, 'number', FROM_SESSION);
    const origin = parseBaseUrl(requireOption(values['base-url'] ?? target.appUrl, 'base-url', FROM_SESSION));

    const client = await twilioClientFor(target);
    print.line(`Twilio   ${describeTarget(target)}`);

    const found = await findNumber(client, phoneNumber, target);

    const before = pick(found);
    const wanted = functionWebhooks(origin, retry);
    const changed = ROWS.some(([, url, method]) => before[url] !== wanted[url] || before[method] !== wanted[method]);
    let after = before;
    if (dryRun) {
      after = wanted;
    } else if (changed) {
      try {
        // Not found.update(): twilio 6.2 builds list() instances without their SID, so their update() throws.
        after = pick(await client.incomingPhoneNumbers(found.sid).update(wanted));
      } catch (error) {
        throw explainTwilioError(error, target);
      }
    }

    const debuggerWebhook = await pointDebuggerAt(target, origin, dryRun);
    print.document({ phoneNumber, sid: found.sid, before, after, changed, dryRun, debuggerWebhook });
    const { paint } = print;
    const show = (webhooks: NumberWebhooks, url: keyof NumberWebhooks, method: keyof NumberWebhooks) =>
      webhooks[url] ? `${webhooks[method]} ${webhooks[url]}` : paint.dim('(not set)');
    print.line(`Number   ${paint.bold(phoneNumber)} ${paint.dim(found.sid)}`);
    print.line();
    print.lines(
      alignRows(
        [
          [paint.dim('webhook'), paint.dim('before'), paint.dim(dryRun ? 'after (dry run)' : 'after')],
          ...ROWS.map(([label, url, method]) => {
            const differs = before[url] !== after[url] || before[method] !== after[method];
            return [
              label,
              show(before, url, method),
              differs ? paint.green(show(after, url, method)) : show(after, url, method),
            ];
          }),
        ],
        { indent: '  ', gap: '   ' },
      ),
    );
    print.line(`  Debugger webhook   POST ${debuggerWebhook.url} ${paint.dim(debuggerWebhook.note)}`);
    print.line();
    if (dryRun)
      print.line(
        changed
          ? paint.yellow('Dry run: nothing was changed.')
          : 'Dry run: the number already points at the functions.',
      );
    else
      print.line(changed ? paint.green('Updated.') : 'The number already points at the functions; nothing to change.');
    return EXIT.ok;
  });
}
