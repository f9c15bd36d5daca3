import { TableClient } from '@azure/data-tables';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { developmentConnectionString, isListening, startAzurite, type RunningAzurite } from '../../dev/azurite';
import { closedPort } from '../support/ports';

/** Ports picked beforehand can be taken by another process before Azurite binds them: pick again then. */
async function onPickedPorts(
  start: (ports: { blob: number; queue: number; table: number }) => Promise<RunningAzurite>,
) {
  for (let attempt = 1; ; attempt++) {
    const ports = { blob: await closedPort(), queue: await closedPort(), table: await closedPort() };
    try {
      return { ports, azurite: await start(ports) };
    } catch (error) {
      if (attempt === 3 || !String(error).includes('EADDRINUSE')) throw error;
    }
  }
}

describe('Azurite as npm start runs it, on ports moved with AZURITE_PORT_BASE', () => {
  it('listens with all three services on the ports given, and the connection string for them reaches its tables', async () => {
    const { ports, azurite } = await onPickedPorts((ports) => startAzurite({ services: 'all', ports }));
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

describe('Azurite as the tests run it', () => {
  it('says so when a port it was given is taken, rather than taking the other server for itself', async () => {
    const taken = createServer();
    await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done));
    const { port } = taken.address() as { port: number };
    try {
      await expect(startAzurite({ services: 'app', tablePort: port })).rejects.toThrow(/exited .*EADDRINUSE/s);
    } finally {
      await new Promise<void>((done) => taken.close(() => done()));
    }
  });

  it('gives two that start at once ports of their own, each bound by that Azurite', async () => {
    const both = await Promise.all([startAzurite({ services: 'app' }), startAzurite({ services: 'app' })]);
    try {
      const endpoints = both.flatMap((azurite) => [azurite.tableEndpoint, azurite.queueEndpoint]);
      expect(new Set(endpoints.map((endpoint) => new URL(endpoint).port)).size).toBe(4);
      for (const endpoint of endpoints) expect(await isListening(Number(new URL(endpoint).port))).toBe(true);
    } finally {
      await Promise.all(both.map((azurite) => azurite.stop()));
    }
  });
});
