import type { Io } from '../../dev/cli/output';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, TEST_PHONE_NUMBER } from './settings';

/**
 * An Io for a command of the CLI (simulate, webhooks) that keeps what it prints: its
 * environment holds the test account's credentials and number, then `env`.
 */
export function captureIo(root: string, env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    stdout: { write: (chunk: string) => out.push(chunk) },
    stderr: { write: (chunk: string) => err.push(chunk) },
    env: {
      TWILIO_ACCOUNT_SID: TEST_ACCOUNT_SID,
      TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
      TWILIO_PHONE_NUMBER: TEST_PHONE_NUMBER,
      ...env,
    },
    root,
  };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}
