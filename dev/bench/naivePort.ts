/**
 * The seed ported to Azure Functions the plain way, for `npm run bench`: `app.http` from
 * `@azure/functions`, the whole `twilio` package for the signature check and the TwiML, and
 * `@azure/data-tables`, all loaded unbundled from node_modules as a project without a bundler
 * deploys them. Settings come from the environment, as in Azure. The two ports differ only in
 * what they write (fairNaive.ts, sameWork.ts).
 */
import { app } from '@azure/functions';
import { TableClient } from '@azure/data-tables';
import twilio from 'twilio';
import { NAIVE_REPLY } from './protocol';

/** Registers the SMS webhook; `save` writes what the port keeps of one inbound SMS. */
export function registerNaivePort(
  tableName: string,
  save: (table: TableClient, params: Record<string, string>) => Promise<unknown>,
): void {
  const table = TableClient.fromConnectionString(process.env.AzureWebJobsStorage!, tableName, {
    allowInsecureConnection: true,
  });
  app.http('smsWebhook', {
    methods: ['POST'],
    route: 'twilio/sms',
    authLevel: 'anonymous',
    handler: async (request) => {
      const params = Object.fromEntries(new URLSearchParams(await request.text()));
      const signature = request.headers.get('x-twilio-signature') ?? '';
      if (!twilio.validateRequest(process.env.TWILIO_AUTH_TOKEN!, signature, request.url, params))
        return { status: 403 };
      await save(table, params);
      const response = new twilio.twiml.MessagingResponse();
      response.message(NAIVE_REPLY);
      return { status: 200, body: response.toString(), headers: { 'Content-Type': 'text/xml' } };
    },
  });
}
