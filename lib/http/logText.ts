/**
 * A value from a request as it may appear in a log line. A plain token (printable ASCII with
 * no space, quote or backslash) reads as it is; anything else is JSON-quoted, so a newline or
 * a quote arrives escaped and a caller cannot add lines that look like the app's. Long values
 * are cut: a log line is not storage.
 */
export function logText(value: unknown, max = 200): string {
  if (value === undefined) return '?';
  const text = String(value);
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return /^[\x21-\x7e]*$/.test(cut) && !/["\\]/.test(cut) && cut !== '' ? cut : oneLine(JSON.stringify(cut));
}

/** A message of ours that may hold request text (an error's): kept readable, its control characters escaped. */
export const oneLine = (text: string): string =>
  // eslint-disable-next-line no-control-regex
  text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (char) =>
    char === '\n' ? '\\n' : char === '\r' ? '\\r' : `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
