/**
 * Variables in flow texts: `{From}`, `{Digits}`, `{Body}`… are fields of the request Twilio
 * sent; `{VOICE_GREETING}` and `{SMS_REPLY}` are the settings of those names, the only settings
 * a flow may read. A field the request lacks is empty. The filled text goes into TwiML only
 * through the SDK's builders, so whatever a caller sends stays text.
 */
import type { Settings } from '../config/settings';
import { field, type FormParams } from '../http/requests';

const VARIABLE = /\{([A-Za-z][A-Za-z0-9_]*)\}/g;
export const SETTING_VARIABLES = ['VOICE_GREETING', 'SMS_REPLY'] as const;
/** Twilio's longest message body; a longer text is cut here rather than refused by Twilio. */
export const MAX_SMS_LENGTH = 1600;

/** Names that look like settings (upper case) but are not ones a flow may use. */
export function unknownSettingVariables(text: string): string[] {
  return [...text.matchAll(VARIABLE)]
    .map((match) => match[1]!)
    .filter(
      (name) =>
        name.length > 1 && name === name.toUpperCase() && !(SETTING_VARIABLES as readonly string[]).includes(name),
    );
}

export type Variables = (name: string) => string | undefined;

/** Variables from a Twilio request and the settings; `extra` wins over the request. */
export function requestVariables(
  params: FormParams,
  settings: Settings,
  extra: Record<string, string | undefined> = {},
): Variables {
  return (name) => {
    if (name === 'VOICE_GREETING') return settings.VOICE_GREETING;
    if (name === 'SMS_REPLY') return settings.SMS_REPLY;
    return extra[name] ?? field(params, name);
  };
}

export const fill = (template: string, variables: Variables): string =>
  template.replace(VARIABLE, (_, name: string) => variables(name) ?? '');
