import type { TestProject } from 'vitest/node' with { 'resolution-mode': 'import' };
import { startAzurite } from '../../dev/azurite';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A real Azurite table service, in memory, shared by the test files that need no storage of their own. */
    azuriteConnectionString: string;
  }
}

export default async function setup(project: TestProject) {
  const azurite = await startAzurite({ services: 'app' });
  project.provide('azuriteConnectionString', azurite.connectionString);
  return () => azurite.stop();
}
