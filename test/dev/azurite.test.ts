import { TableClient } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { developmentConnectionString, freePort, isListening, startAzurite } from '../../dev/azurite';

describe('Azurite as npm start runs it, on ports moved with AZURITE_PORT_BASE', () => {
  it('listens with all three services on the ports given, and the connection string for them reaches its tables', async () => {
    const ports = { blob: await freePort(), queue: await freePort(), table: await freePort() };
    const azurite = await startAzurite({ services: 'all', ports });
    try {
      for (const port of Object.values(ports)) expect(await isListening(port), String(port)).toBe(true);
      expect(azurite.connectionString).toBe(developmentConnectionString(ports));
      const table = TableClient.fromConnectionString(azurite.connectionString, 'PortsCheck', {
        allowInsecureConnection: true,
      });
      await table.createTable();
      await table.createEntity({ partitionKey: 'p', rowKey: 'r', moved: true });
      expect((await table.getEntity<{ moved: boolean }>('p', 'r')).moved).toBe(true);
    } finally {
      await azurite.stop();
    }
  });
});
