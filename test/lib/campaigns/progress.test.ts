import { describe, expect, it } from 'vitest';
import { progress, reportedState } from '../../../lib/campaigns/progress';
import { sum, type Counts } from '../../../lib/campaigns/counts';
import { RECIPIENT_STATES, type Campaign, type RecipientRow } from '../../../lib/campaigns/store';

const campaign: Campaign = {
  id: 'c1',
  name: 'Spring sale',
  body: 'Hi',
  origin: 'https://app.example.com',
  from: '+15005550006',
  textsPerSecond: 2,
  callsPerSecond: 1,
  startAt: '2026-03-02T09:00:00.000Z',
  createdAt: '2026-03-01T09:00:00.000Z',
  recipients: 4,
};
const row = (index: number, state: RecipientRow['state'], sentAt?: string): RecipientRow => ({
  index,
  to: `+1555010000${index}`,
  variables: {},
  state,
  sentAt,
  updatedAt: '2026-03-02T09:00:00.000Z',
});

/** The counts the campaign's count rows would hold for these recipients (each one's change summed, as counts.ts does). */
const countsOf = (rows: RecipientRow[]): Counts =>
  rows.reduce(
    (total, one) =>
      sum(total, {
        byState: { ...zero().byState, [one.state]: 1 },
        sends: one.sentAt ? 1 : 0,
        firstSentAt: one.sentAt,
        lastSentAt: one.sentAt,
      }),
    zero(),
  );
const zero = (): Counts => ({
  byState: Object.fromEntries(RECIPIENT_STATES.map((state) => [state, 0])) as Counts['byState'],
  sends: 0,
});

describe('campaign progress', () => {
  const rows = [
    row(0, 'delivered', '2026-03-02T09:00:00.000Z'),
    row(1, 'sent', '2026-03-02T09:00:01.000Z'),
    row(2, 'sent', '2026-03-02T09:00:02.000Z'),
    row(3, 'waiting'),
  ];

  it('counts recipients by state and is done when none waits', () => {
    const report = progress(campaign, countsOf(rows));
    expect(report.counts).toEqual({
      waiting: 1,
      waitingForWindow: 0,
      sent: 2,
      delivered: 1,
      failed: 0,
      optedOut: 0,
      canceled: 0,
    });
    expect(report.done).toBe(false);
    expect(progress(campaign, countsOf(rows.slice(0, 3))).done).toBe(true);
  });

  it('reports the rate the sent texts achieved, from the first to the last', () => {
    expect(progress(campaign, countsOf(rows)).achieved).toEqual({
      texts: 3,
      firstSentAt: '2026-03-02T09:00:00.000Z',
      lastSentAt: '2026-03-02T09:00:02.000Z',
      textsPerSecond: 1,
    });
    expect(progress(campaign, countsOf([rows[3]!])).achieved.textsPerSecond).toBeNull();
  });

  it('reports what was not sent before a cancel as canceled, and what was sent as it was', () => {
    const canceled = { ...campaign, canceledAt: '2026-03-02T09:00:03.000Z' };
    expect(reportedState(canceled, row(3, 'waiting'))).toBe('canceled');
    expect(reportedState(canceled, row(4, 'waitingForWindow'))).toBe('canceled');
    expect(reportedState(canceled, row(1, 'sent'))).toBe('sent');
    expect(progress(canceled, countsOf(rows)).done).toBe(true);
    expect(progress(canceled, countsOf(rows)).counts).toMatchObject({ waiting: 0, canceled: 1, sent: 2 });
  });
});
