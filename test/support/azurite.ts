import { afterAll, beforeAll } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../dev/azurite';
import { useSettings } from './settings';

/**
 * An Azurite of the calling file's own, so other files' load does not meet its tests: started
 * before them with the app's settings pointing at it, stopped after them.
 */
export function useOwnAzurite(): void {
  let azurite: RunningAzurite | undefined;
  beforeAll(async () => {
    azurite = await startAzurite({ services: 'app' });
    useSettings({ AzureWebJobsStorage: azurite.connectionString });
  });
  afterAll(async () => {
    await azurite?.stop();
  });
}
