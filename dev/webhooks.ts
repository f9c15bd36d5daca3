/** `npm run webhooks`: points a Twilio number at the functions (see dev/webhooks/command.ts). */
import { runMain } from './cli/command';
import { processIo } from './cli/output';
import { findProjectRoot } from './cli/settings';
import { runWebhooks } from './webhooks/command';

// Only as a program: importing this file (rather than ./webhooks/…) must not start anything.
if (require.main === module) runMain(runWebhooks, processIo(findProjectRoot(__dirname)));
