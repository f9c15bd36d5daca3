import { randomBytes } from 'node:crypto';
import type { Settings } from '../../lib/config/settings';
import { placedObservation, recordingObservation } from '../../lib/records/observations';
import { saveObservation } from '../../lib/records/store';
import { TEST_ACCOUNT_SID, TEST_PHONE_NUMBER } from './settings';

const hex = () => randomBytes(16).toString('hex');

/** A call the app placed whose record lists one recording, as its recording callback keeps it; at `now` when given. */
export async function saveRecordedCall(settings: Settings, now?: Date) {
  const sid = `CA${hex()}`;
  const recordingSid = `RE${hex()}`;
  const recordingUrl = `https://api.twilio.com/2010-04-01/Accounts/${TEST_ACCOUNT_SID}/Recordings/${recordingSid}`;
  const at = now ? { now } : {};
  await saveObservation(
    settings,
    placedObservation('call', { sid, status: 'queued', to: '+15550100199', from: TEST_PHONE_NUMBER }),
    at,
  );
  await saveObservation(
    settings,
    recordingObservation({
      CallSid: sid,
      AccountSid: TEST_ACCOUNT_SID,
      RecordingSid: recordingSid,
      RecordingUrl: recordingUrl,
      RecordingStatus: 'completed',
      RecordingDuration: '3',
    }),
    at,
  );
  return { sid, recordingSid, recordingUrl };
}
