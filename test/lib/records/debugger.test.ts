import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { getSettings } from '../../../lib/config/settings';
import { BadRequestError } from '../../../lib/errors';
import {
  DEBUGGER_LOG_PREFIX,
  debuggerObservation,
  debuggerWebhook,
  parseDebuggerEvent,
} from '../../../lib/records/debugger';
import { findRecord } from '../../../lib/records/store';
import { invoke, signedForm } from '../../support/invoke';
import { useSettings } from '../../support/settings';

const hex = () => randomBytes(16).toString('hex');
/** A debugger event as Twilio posts it: an 11200 for a call whose webhook answered 500. */
const event = (resourceSid: string) => ({
  Sid: `NO${hex()}`,
  AccountSid: `AC${hex()}`,
  Level: 'Error',
  Timestamp: '2026-11-29T10:00:00Z',
  PayloadType: 'application/json',
  Payload: JSON.stringify({
    resource_sid: resourceSid,
    error_code: '11200',
    more_info: { Msg: 'HTTP retrieval failure' },
    webhook: {
      request: {
        url: 'https://app.example.com/api/twilio/voice',
        parameters: { From: '+15550100199', To: '+15005550006', Direction: 'inbound' },
      },
      response: { status_code: 500 },
    },
  }),
});

describe('the debugger event', () => {
  it('becomes an event of the call it is about, with Twilio’s code and what failed', () => {
    const sid = `CA${hex()}`;
    expect(debuggerObservation(parseDebuggerEvent(event(sid)))).toMatchObject({
      kind: 'call',
      sid,
      status: 'twilio-error',
      errorCode: 11200,
      from: '+15550100199',
      direction: 'inbound',
      twilioError: 'HTTP retrieval failure; https://app.example.com/api/twilio/voice answered 500',
    });
    expect(debuggerObservation(parseDebuggerEvent(event(`SM${hex()}`)))).toMatchObject({ kind: 'message' });
  });

  it('is about no record when its resource is neither a call nor a message', () => {
    expect(debuggerObservation(parseDebuggerEvent(event(`PN${hex()}`)))).toBeUndefined();
  });

  it('is refused naming the field when its payload is not JSON or its Sid is missing', () => {
    const refused = (params: Record<string, string>) => {
      try {
        parseDebuggerEvent(params);
      } catch (error) {
        if (error instanceof BadRequestError) return error.options.problems?.map((problem) => problem.field);
      }
      return undefined;
    };
    expect(refused({ ...event('x'), Payload: '{not json' })).toEqual(['Payload']);
    expect(refused({ Payload: '{}' })).toEqual(['Sid']);
  });
});

describe('POST /api/twilio/debugger (Azurite)', () => {
  it('logs the error for the alert, records it on its call, and answers 204', async () => {
    useSettings({});
    const sid = `CA${hex()}`;
    const url = 'http://127.0.0.1:7071/api/twilio/debugger';
    const answer = await invoke(debuggerWebhook, signedForm(url, event(sid)));
    expect(answer.response.status).toBe(204);
    expect(answer.logs.find((line) => line.level === 'error')?.message).toMatch(
      new RegExp(`^${DEBUGGER_LOG_PREFIX} 11200 \\(Error\\): HTTP retrieval failure`),
    );
    expect(await findRecord(getSettings(), 'call', sid)).toMatchObject({ errorCode: 11200 });
  });

  it('refuses an unsigned event with 403', async () => {
    const answer = await invoke(debuggerWebhook, {
      url: 'http://127.0.0.1:7071/api/twilio/debugger',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(event(`CA${hex()}`)).toString(),
    });
    expect(answer.response.status).toBe(403);
  });
});
