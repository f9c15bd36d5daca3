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
  return /^[\x21-\x7e]*$/.test(cut) && !/["\\]/.test(cut) && cut !== '' ? cut : JSON.stringify(cut);
}
