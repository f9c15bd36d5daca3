/** `npm run emulator`: the local Twilio emulator on its own (see dev/emulator/cli.ts). */
import { runMain } from './cli/command';
import { processIo } from './cli/output';
import { findProjectRoot } from './cli/settings';
import { runEmulator } from './emulator/cli';

// Only as a program: importing this file (rather than ./emulator/…) must not start anything.
if (require.main === module) runMain((argv, io) => runEmulator(argv, io), processIo(findProjectRoot(__dirname)));
