import { expect, it } from 'vitest';
import { startPhone } from '../support/phone';

it('closed on Sunday: voicemail; open on Monday morning: the office rings', async () => {
  // Times without an offset are in the flow's time zone (America/New_York here).
  const phone = await startPhone({ flows: 'flows/examples/business-hours.json', now: '2026-06-07T10:00' });
  try {
    const sunday = await phone.call({ digits: ['#'] });
    expect(sunday.path).toBe('closed · recorded 5 s');
    expect((await phone.text('Are you open?')).replies[0]?.body).toMatch(/closed now/);

    const monday = await phone.call({ now: '2026-06-08T10:00', dialOutcome: 'busy', digits: ['#'] });
    expect(monday.path).toBe('office · dial +15550100000 busy · closed · recorded 5 s');
  } finally {
    await phone.close();
  }
});
