import { BadRequestError, type Problem } from '../../lib/errors';

/** The problems of the BadRequestError `run` throws (undefined when it throws none); any other error is thrown on. */
export function problemsOf(run: () => unknown): Problem[] | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof BadRequestError) return error.options.problems;
    throw error;
  }
  return undefined;
}
