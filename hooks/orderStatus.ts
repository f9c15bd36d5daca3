/**
 * Answers "ORDER 1234" with the order's status. A real line would ask the shop's system here
 * (with `signal` for the deadline and a token from `setting`); the example keeps a few orders.
 */
import { defineHook } from '../lib/flows/hooks';

const ORDERS: Record<string, string> = {
  '1234': 'shipped on Monday and arrives Thursday',
  '5678': 'being packed',
};

export default defineHook(({ trigger }) => {
  const number = /\b(\d{3,10})\b/.exec(trigger.Body ?? '')?.[1];
  const status = number !== undefined && Object.hasOwn(ORDERS, number) ? ORDERS[number] : undefined;
  return { set: { orderNumber: number ?? '', orderStatus: status ?? '' }, next: status ? 'known' : 'unknown' };
});
