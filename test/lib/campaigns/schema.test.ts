import { describe, expect, it } from 'vitest';
import {
  campaignRequest,
  DEFAULT_RATE,
  MAX_RECIPIENTS_PER_REQUEST,
  render,
  variablesOf,
} from '../../../lib/campaigns/schema';

const valid = {
  name: 'Spring sale',
  text: { body: 'Hi {{ variables.name }}, {{variables.code}} is yours' },
  recipients: [{ to: '+15550100001', variables: { name: 'Ada', code: 'X1' } }],
};
const problems = (body: object) =>
  campaignRequest.safeParse(body).error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) ?? [];

describe('a campaign request', () => {
  it('sends at one text and one call per second unless told otherwise', () => {
    expect(campaignRequest.parse(valid).rate).toEqual(DEFAULT_RATE);
    expect(DEFAULT_RATE).toEqual({ textsPerSecond: 1, callsPerSecond: 1 });
  });

  it('names each recipient missing a variable the text uses, by index', () => {
    const body = { ...valid, recipients: [...valid.recipients, { to: '+15550100002', variables: { name: 'Bo' } }] };
    expect(problems(body)).toEqual([
      'recipients.1.variables.code: is used by the text ({{ variables.code }}) and missing',
    ]);
  });

  it('takes a sender number or a Messaging Service, not both', () => {
    expect(problems({ ...valid, from: '+15005550006', messagingServiceSid: `MG${'0'.repeat(32)}` })).toEqual([
      'messagingServiceSid: give from or messagingServiceSid, not both',
    ]);
  });

  it('refuses no recipients, too many in one request, a rate of 0 and a start that is not a date', () => {
    expect(problems({ ...valid, recipients: [] })).toEqual(['recipients: must name at least one recipient']);
    const many = Array.from({ length: MAX_RECIPIENTS_PER_REQUEST + 1 }, () => valid.recipients[0]);
    expect(problems({ ...valid, recipients: many })).toEqual([
      `recipients: must name at most ${MAX_RECIPIENTS_PER_REQUEST} recipients per request`,
    ]);
    expect(problems({ ...valid, rate: { textsPerSecond: 0 } })).toEqual([
      'rate.textsPerSecond: must be a number of texts per second above 0',
    ]);
    expect(problems({ ...valid, startAt: 'tomorrow' })).toEqual([
      'startAt: must be a date and time like 2026-12-01T09:00:00Z',
    ]);
  });
});

describe('a campaign text', () => {
  it('is filled with each recipient’s variables', () => {
    expect(variablesOf(valid.text.body)).toEqual(['name', 'code']);
    expect(render(valid.text.body, { name: 'Ada', code: 7 })).toBe('Hi Ada, 7 is yours');
  });
});
