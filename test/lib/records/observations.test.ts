import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../../lib/errors';
import {
  smsWebhookObservation,
  statusCallbackObservation,
  voiceWebhookObservation,
} from '../../../lib/records/observations';

const CALL = 'CA0123456789abcdef0123456789abcdef';
const MESSAGE = 'SM0123456789abcdef0123456789abcdef';

describe("what Twilio's requests tell the records", () => {
  it('an incoming call: inbound unless Twilio says outbound, ringing unless it says otherwise', () => {
    expect(voiceWebhookObservation({ CallSid: CALL, From: 'client:alice', To: '+15005550006' })).toMatchObject({
      kind: 'call',
      direction: 'inbound',
      status: 'ringing',
      from: 'client:alice',
      eventKey: 'voice-webhook',
    });
    expect(
      voiceWebhookObservation({ CallSid: CALL, CallStatus: 'in-progress', Direction: 'outbound-api' }),
    ).toMatchObject({ direction: 'outbound', status: 'in-progress' });
  });

  it('an incoming text keeps its media URLs in Twilio order', () => {
    const observed = smsWebhookObservation({
      MessageSid: MESSAGE,
      Body: 'hi',
      NumMedia: '11',
      MediaUrl10: 'k',
      MediaUrl2: 'c',
      MediaUrl0: 'a',
    });
    expect(observed).toMatchObject({
      kind: 'message',
      status: 'received',
      body: 'hi',
      mediaUrls: ['a', 'c', 'k'],
      eventKey: 'received',
    });
  });

  it('a status callback is a call or a message by the fields it carries; its event key makes redeliveries collide', () => {
    expect(
      statusCallbackObservation({ CallSid: CALL, CallStatus: 'completed', SequenceNumber: '3', CallDuration: '42' }),
    ).toMatchObject({
      kind: 'call',
      sequence: 3,
      duration: 42,
      eventKey: 'status|3|completed',
    });
    expect(
      statusCallbackObservation({ MessageSid: MESSAGE, MessageStatus: 'sent/queued', ErrorCode: '30003' }),
    ).toMatchObject({
      kind: 'message',
      errorCode: 30003,
      eventKey: 'status|sent%2Fqueued',
    });
  });

  it('a request without the SID it is about, or with a count that is not one, is a 400 naming the field', () => {
    expect(() => statusCallbackObservation({ CallStatus: 'completed' })).toThrow(BadRequestError);
    const refused = (() => {
      try {
        statusCallbackObservation({ CallSid: CALL, CallStatus: 'completed', SequenceNumber: 'three' });
      } catch (error) {
        return error as BadRequestError;
      }
    })();
    expect(refused?.options.problems).toEqual([{ field: 'SequenceNumber', message: 'must be a whole number' }]);
  });
});
