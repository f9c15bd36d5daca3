/** `npm run simulate`: inbound SMS and calls, and placed calls, against the app (see dev/simulate/command.ts). */
import { runMain } from './cli/command';
import { processIo } from './cli/output';
import { findProjectRoot } from './cli/settings';
import { runSimulate } from './simulate/command';

// Only as a program: importing this file (rather than ./simulate/…) must not start anything.
if (require.main === module) runMain(runSimulate, processIo(findProjectRoot(__dirname)));
