/**
 * The value a record holds under a name as its own, never one every object inherits
 * (`constructor`, `__proto__`, `toString`…). Every lookup by a name that came from a request
 * (a step, a digit, a status, a form field) goes through here.
 */
export const own = <T>(record: Readonly<Record<string, T>>, name: string): T | undefined =>
  Object.hasOwn(record, name) ? record[name] : undefined;
