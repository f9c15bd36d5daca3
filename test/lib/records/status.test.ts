import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { advances, statusRank, type Kind, type StatusPoint } from '../../../lib/records/status';

// Twilio's documented lifecycles: a call is queued, initiated, ringing, in progress, then ends
// in exactly one final status; a message is accepted (or scheduled), queued, sending, sent,
// then delivered, undelivered or failed, and may be read after delivered.
const CALL_ORDER = ['queued', 'initiated', 'ringing', 'in-progress'];
const CALL_FINAL = ['completed', 'busy', 'no-answer', 'failed', 'canceled'];
const MESSAGE_ORDER = ['accepted', 'queued', 'sending', 'sent', 'delivered', 'read'];
const MESSAGE_ENDS = ['delivered', 'undelivered', 'failed'];

/** The status a record ends with after the deliveries, in the order given, as the store applies them. */
function apply(kind: Kind, deliveries: StatusPoint[]): StatusPoint {
  let current = deliveries[0]!;
  for (const next of deliveries.slice(1)) {
    if (advances(kind, current, next))
      current = { ...next, sequence: Math.max(next.sequence ?? -1, current.sequence ?? -1) };
  }
  return current;
}

describe('status ranks', () => {
  it('follow the documented order', () => {
    for (const [kind, order] of [
      ['call', CALL_ORDER],
      ['message', MESSAGE_ORDER],
    ] as const) {
      const ranks = order.map((status) => statusRank(kind, status));
      expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
      expect(new Set(ranks).size).toBe(ranks.length);
    }
    for (const final of CALL_FINAL)
      expect(statusRank('call', final)).toBeGreaterThan(statusRank('call', 'in-progress'));
    for (const end of MESSAGE_ENDS) expect(statusRank('message', end)).toBeGreaterThan(statusRank('message', 'sent'));
  });

  it('know nothing of a status Twilio does not document', () => {
    fc.assert(
      fc.property(
        fc
          .string()
          .filter(
            (text) =>
              ![
                ...CALL_ORDER,
                ...CALL_FINAL,
                ...MESSAGE_ORDER,
                ...MESSAGE_ENDS,
                'scheduled',
                'receiving',
                'received',
                'canceled',
                'partially_delivered',
              ].includes(text),
          ),
        (status) => {
          expect(statusRank('call', status)).toBe(-1);
          expect(advances('call', { status: 'queued' }, { status })).toBe(false);
          expect(advances('message', { status: 'queued' }, { status })).toBe(false);
        },
      ),
    );
  });
});

describe('applying callbacks in any order', () => {
  it("a call's callbacks with SequenceNumber end in the final status, whatever order and repeats", () => {
    const lifecycle = fc
      .constantFrom(...CALL_FINAL)
      .map((final) => [...CALL_ORDER.slice(1), final].map((status, sequence) => ({ status, sequence })));
    fc.assert(
      fc.property(
        lifecycle.chain((events) =>
          fc.tuple(fc.constant(events), fc.shuffledSubarray([...events, ...events], { minLength: events.length * 2 })),
        ),
        ([events, deliveries]) => {
          expect(apply('call', [{ status: 'queued' }, ...deliveries]).status).toBe(events.at(-1)!.status);
        },
      ),
    );
  });

  it('a final call status never goes back, whatever comes after it', () => {
    const anyCallStatus = fc.record({
      status: fc.constantFrom(...CALL_ORDER, ...CALL_FINAL),
      sequence: fc.option(fc.nat(10), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.constantFrom(...CALL_FINAL), fc.array(anyCallStatus), (final, later) => {
        expect(apply('call', [{ status: final, sequence: 3 }, ...later]).status).toBe(final);
      }),
    );
  });

  it('a message ends at the most advanced status it was told, in any order (delivered can still become read)', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(MESSAGE_ORDER, { minLength: 1 }), fc.nat(), (told, seed) => {
        const deliveries = fc.sample(fc.shuffledSubarray(told, { minLength: told.length }), { numRuns: 1, seed })[0]!;
        const highest = told.reduce((best, status) =>
          statusRank('message', status) > statusRank('message', best) ? status : best,
        );
        expect(
          apply(
            'message',
            deliveries.map((status) => ({ status })),
          ).status,
        ).toBe(highest);
      }),
    );
  });
});
