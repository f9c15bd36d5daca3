import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../dev/azurite';
import { DEADLINES, shortenDeadlinesForTests } from '../../lib/config/deadlines';
import { statusCallback } from '../../functions/statusCallback';
import { messageFlowWebhook } from '../../lib/flows/handlers';
import { writeFlowFile } from '../support/flowFile';
import { invoke, signedForm } from '../support/invoke';
import { useSettings } from '../support/settings';

/**
 * Storage that answers, slowly: every request reaches Azurite DELAY_MS late, through a proxy of
 * this file's own. A webhook's storage work (the opt-out check before a reply, the forward put on
 * the queue, the record) shares one storage deadline, so a slow storage costs the webhook at most
 * that deadline, never one deadline per step: Twilio gives a webhook 15 s in all.
 */
const DELAY_MS = 450;
let azurite: RunningAzurite;
const proxies: Server[] = [];
const flows = writeFlowFile('deadline', {
  messaging: { rules: [{ keyword: 'urgent', forward: '+15550109999', reply: 'Passed on.' }], reply: 'Thanks!' },
});

/** A TCP proxy to `port` that holds each chunk the client sends for DELAY_MS. */
async function slowProxy(port: number): Promise<number> {
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    client.on('data', (chunk) => setTimeout(() => upstream.write(chunk), DELAY_MS));
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  proxies.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

let slowStorage: string;
beforeAll(async () => {
  azurite = await startAzurite({ services: 'app' });
  slowStorage = azurite.connectionString;
  for (const [, port] of azurite.connectionString.matchAll(/127\.0\.0\.1:(\d+)/g))
    slowStorage = slowStorage.replace(`127.0.0.1:${port}`, `127.0.0.1:${await slowProxy(Number(port))}`);
});
afterAll(async () => {
  for (const server of proxies) server.close();
  await azurite?.stop();
  flows.remove();
});

describe('a webhook on slow storage', () => {
  it('answers within one storage deadline, however many steps its storage work takes', async () => {
    const url = 'https://app.example.com/api/twilio/sms';
    const text = (From: string) => ({
      MessageSid: `SM${randomBytes(16).toString('hex')}`,
      From,
      To: '+15005550006',
      Body: 'urgent: the pipe burst',
    });
    // First on fast storage, so the tables and the queue exist: each step is then one request.
    useSettings({ AzureWebJobsStorage: azurite.connectionString, PHONE_FLOWS: flows.file });
    expect((await invoke(messageFlowWebhook, signedForm(url, text('+15550100110')))).response.status).toBe(200);
    const restore = shortenDeadlinesForTests({ storageMs: 800 });
    try {
      useSettings({ AzureWebJobsStorage: slowStorage, PHONE_FLOWS: flows.file });
      const fields = text('+15550100111');
      const started = performance.now();
      const answer = await invoke(messageFlowWebhook, signedForm(url, fields));
      const ms = performance.now() - started;
      // The opt-out check, the queued forward and the record: each alone fits the
      // deadline, together they do not. The answer is an honest 503 at the deadline, not a late 200.
      expect(ms).toBeLessThan(DEADLINES.storageMs + DELAY_MS);
      expect(answer.response.status).toBe(503);
    } finally {
      restore();
    }
  });

  it('answers a status callback within one storage deadline, the campaign look-up after its record included', async () => {
    const url = 'https://app.example.com/api/twilio/status';
    const callback = () => ({
      MessageSid: `SM${randomBytes(16).toString('hex')}`,
      MessageStatus: 'delivered',
      From: '+15005550006',
      To: '+15550100111',
    });
    useSettings({ AzureWebJobsStorage: azurite.connectionString, PHONE_FLOWS: flows.file });
    expect((await invoke(statusCallback, signedForm(url, callback()))).response.status).toBe(204);
    const restore = shortenDeadlinesForTests({ storageMs: 1_100 });
    try {
      useSettings({ AzureWebJobsStorage: slowStorage, PHONE_FLOWS: flows.file });
      const started = performance.now();
      const answer = await invoke(statusCallback, signedForm(url, callback()));
      const ms = performance.now() - started;
      expect(ms).toBeLessThan(DEADLINES.storageMs + DELAY_MS);
      expect(answer.response.status).toBe(503);
    } finally {
      restore();
    }
  });
});
