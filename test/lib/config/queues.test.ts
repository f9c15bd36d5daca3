import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { poisonQueue, QUEUE_OPTIONS, QUEUES } from '../../../lib/config/queues';

describe('queues', () => {
  it('names each queue as Azure Storage allows: 3-63 lower-case letters, digits and single hyphens', () => {
    for (const queue of Object.values(QUEUES)) {
      for (const name of [queue, poisonQueue(queue)]) {
        expect(name).toMatch(/^[a-z0-9](?:[a-z0-9]|-(?!-))+[a-z0-9]$/);
        expect(name.length).toBeLessThanOrEqual(63);
      }
    }
    expect(new Set(Object.values(QUEUES)).size).toBe(Object.keys(QUEUES).length);
  });

  it('moves a message whose every try failed to the queue the Functions host uses: <queue>-poison', () => {
    expect(poisonQueue(QUEUES.outbound)).toBe('twilio-outbound-poison');
  });

  it('obeys host.json, the file the Functions host reads', () => {
    const host = JSON.parse(readFileSync(join(__dirname, '../../../host.json'), 'utf8')) as {
      extensions: { queues: unknown };
    };
    expect(QUEUE_OPTIONS).toEqual(host.extensions.queues);
    expect(QUEUE_OPTIONS.maxDequeueCount).toBeGreaterThan(1);
  });
});
