/** `--input`: the caller's inputs in one ordered list, which gathers and records take in turn. */
import { UsageError } from '../cli/args';

const INPUT = /^([0-9*#w]+|silence|say:.+)$/;

/**
 * --input values, checked; with --digits and --speech both given the order between them is
 * unknown (each gather takes the next of the kind it listens for), so --input is the way to
 * say it, and it cannot be mixed with them.
 */
export function callerInputs(values: {
  input?: string[] | undefined;
  digits?: string[] | undefined;
  speech?: string[] | undefined;
}): string[] | undefined {
  if (!values.input) return undefined;
  if (values.digits || values.speech)
    throw new UsageError("give the caller's inputs with --input alone, or with --digits/--speech, not both");
  for (const input of values.input)
    if (!INPUT.test(input)) throw new UsageError(`--input "${input}" is not keys (1, 42#, *), say:<words> or silence`);
  return values.input;
}
