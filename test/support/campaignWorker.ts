/**
 * One queue worker in a process of its own, as one instance of the app: runs the campaigns
 * queue from the app's registrations with host.json's options, until it is killed. Bundled
 * and started by test/support/campaigns.ts; settings come from the environment.
 */
import { installCoreApi, registeredTriggers } from '../../dev/functionsHost';
import { queueOptions, startQueueHost } from '../../dev/queueHost';
import { shortenDeadlinesForTests } from '../../lib/config/deadlines';

installCoreApi();
// After installCoreApi: the registration needs the core API the local host provides.
// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../../functions/sendCampaign');
// A killed worker's try holds its key this long before the next one looks at Twilio.
shortenDeadlinesForTests({ queuedInFlightMs: 3_000, queuedRecheckMs: 1_000 });
startQueueHost({
  functions: registeredTriggers().queues,
  options: {
    ...queueOptions(process.env.APP_ROOT!),
    maxPollingIntervalMs: 100,
    visibilityTimeoutSeconds: 1,
    leaseSeconds: 3,
  },
  log: (level, name, message) => {
    if (level !== 'information') console.log(`${level} ${name}: ${message}`);
  },
});
console.log('worker ready');
