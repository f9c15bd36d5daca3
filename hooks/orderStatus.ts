/**
 * Answers "ORDER 1234" with the order's status. A real line would ask the shop's system here
 * (with `signal` for the deadline and a token from `setting`); the example keeps a few orders.
 * Numbers from 9000 up stand for orders in an old system it cannot reach: it throws, as a hook
 * whose system is down would, and the flow takes the action's `failed` step.
 */
import { defineHook } from '../lib/flows/hooks';

const ORDERS: Record<string, string> = {
  '1234': 'shipped on Monday and arrives Thursday',
  '5678': 'being packed',
};

export default defineHook(({ trigger }) => {
  const number = /\b(\d{3,10})\b/.exec(trigger.Body ?? '')?.[1];
  if (number !== undefined && Number(number) >= 9000 && number.length === 4)
    throw new Error(`order ${number} is in the archive, which this example cannot reach`);
  const status = number !== undefined && Object.hasOwn(ORDERS, number) ? ORDERS[number] : undefined;
  return { set: { orderNumber: number ?? '', orderStatus: status ?? '' }, next: status ? 'known' : 'unknown' };
});
