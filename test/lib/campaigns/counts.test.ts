/**
 * The counts of a campaign kept beside its recipients, against a real Azurite: right when many
 * writers move recipients at once, when the same recipient is moved by several (a message
 * delivered twice), and when a write of recipients is tried again after it landed.
 */
import { describe, expect, it } from 'vitest';
import { addRecipients, moveRecipient, readCounts } from '../../../lib/campaigns/counts';
import { readRecipient } from '../../../lib/campaigns/store';
import { getSettings } from '../../../lib/config/settings';
import { numbers } from '../../support/campaigns';
import { useOwnAzurite } from '../../support/azurite';

useOwnAzurite();

const UNSENT = ['waiting', 'waitingForWindow'] as const;

describe('campaign counts', () => {
  it('stay right while many writers move recipients at once, each moved by three of them', async () => {
    const settings = getSettings();
    const id = `CP${'1'.repeat(32)}`;
    const count = 60;
    await addRecipients(settings, id, 0, numbers(count));
    expect((await readCounts(settings, id)).byState.waiting).toBe(count);
    // Each recipient is sent by three concurrent writers, as three deliveries of its message would;
    // twelve recipients at a time (36 writers on 8 count rows), as Azurite on a shared machine keeps up.
    const moved: unknown[] = [];
    for (let first = 0; first < count; first += 12)
      moved.push(
        ...(await Promise.all(
          Array.from({ length: 36 }, async (_, n) => {
            const index = first + (n % 12);
            const row = await readRecipient(settings, id, index);
            const sentAt = new Date(Date.UTC(2026, 11, 7, 9, 0, index)).toISOString();
            return moveRecipient(settings, id, row, { state: 'sent', sid: `SM${index}`, sentAt }, UNSENT);
          }),
        )),
      );
    expect(moved.filter(Boolean).length).toBe(count);
    const counts = await readCounts(settings, id);
    expect(counts.byState).toMatchObject({ waiting: 0, sent: count });
    expect(counts.sends).toBe(count);
    expect(counts.firstSentAt).toBe('2026-12-07T09:00:00.000Z');
    expect(counts.lastSentAt).toBe(new Date(Date.UTC(2026, 11, 7, 9, 0, count - 1)).toISOString());

    // Half delivered, two writers each (a status callback and the sender's own look).
    await Promise.all(
      Array.from({ length: count }, async (_, n) => {
        const row = await readRecipient(settings, id, n % (count / 2));
        return moveRecipient(settings, id, row, { state: 'delivered' }, ['sent']);
      }),
    );
    expect((await readCounts(settings, id)).byState).toMatchObject({ sent: count / 2, delivered: count / 2 });
  }, 60_000);

  it('counts recipients once when their write is tried again after it landed', async () => {
    const settings = getSettings();
    const id = `CP${'2'.repeat(32)}`;
    await addRecipients(settings, id, 0, numbers(150));
    await addRecipients(settings, id, 0, numbers(150));
    expect((await readCounts(settings, id)).byState.waiting).toBe(150);
  });
});
