/**
 * The time campaigns go by for start times and windows. Tests move `now` (a clock they
 * control) and shorten `maxWaitMs`, the longest a message waiting for its window or start
 * stays invisible before it is looked at again (the queue's own limit is 7 days).
 */
export const campaignClock = {
  now: (): Date => new Date(),
  maxWaitMs: 60 * 60 * 1000,
};
