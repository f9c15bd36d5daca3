import { startEmulator, type Emulator } from '../../dev/emulator/index';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN, TEST_PHONE_NUMBER } from './settings';

/** The emulator with the test account, which owns TEST_PHONE_NUMBER. */
export const startTestEmulator = (): Promise<Emulator> =>
  startEmulator({ accountSid: TEST_ACCOUNT_SID, authToken: TEST_AUTH_TOKEN, phoneNumbers: [TEST_PHONE_NUMBER] });
