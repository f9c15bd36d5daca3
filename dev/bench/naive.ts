/**
 * The naive port of the seed, for `npm run bench` to measure against: the whole `twilio`
 * package for the signature check and the TwiML, `@azure/data-tables` for one record, loaded
 * from node_modules the way a project without a bundler deploys them.
 */
import { TableClient } from '@azure/data-tables';
import twilio from 'twilio';
import { NAIVE_TABLE, readJob, runChild, runJob } from './protocol';

runChild(async () => {
  const job = readJob();
  const table = TableClient.fromConnectionString(job.connectionString, NAIVE_TABLE, { allowInsecureConnection: true });
  await runJob(job, async (request) => {
    const params = Object.fromEntries(new URLSearchParams(request.body));
    if (!twilio.validateRequest(job.authToken, request.signature, job.url, params)) return { status: 403, body: '' };
    await table.createEntity({
      partitionKey: params.MessageSid!,
      rowKey: 'message',
      from: params.From,
      to: params.To,
      body: params.Body,
    });
    const response = new twilio.twiml.MessagingResponse();
    response.message(job.reply);
    return { status: 200, body: response.toString() };
  });
});
