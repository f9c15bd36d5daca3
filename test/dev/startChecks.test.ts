import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { planStart, StartError } from '../../dev/startChecks';

const root = mkdtempSync(join(tmpdir(), 'start-checks-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => (error instanceof StartError ? error.lines.join('\n') : String(error)),
  );

describe('what npm start checks before it starts anything', () => {
  it('with nothing configured: the emulator with made-up credentials, Azurite, port 7071', async () => {
    const plan = await planStart(root, {}, { checkPort: false });
    expect(plan).toMatchObject({
      port: 7071,
      emulated: true,
      env: { AzureWebJobsStorage: 'UseDevelopmentStorage=true', TWILIO_PHONE_NUMBER: '+15005550006' },
    });
    expect(plan.settings.TWILIO_ACCOUNT_SID).toMatch(/^AC[0-9a-f]{32}$/);
  });

  it('a bad TWILIO_PHONE_NUMBER with no credentials is a settings error naming the setting and the file', async () => {
    const message = await refusal(planStart(root, { TWILIO_PHONE_NUMBER: '555-1234' }, { checkPort: false }));
    expect(message).toContain('TWILIO_PHONE_NUMBER: must be a phone number in E.164, like +15550100000');
    expect(message).toContain(join(root, 'local.settings.json'));
  });

  it('a connection string that is not one is refused, naming the setting, never its value', async () => {
    const message = await refusal(
      planStart(root, { AzureWebJobsStorage: 'garbage-with-a-secret' }, { checkPort: false }),
    );
    expect(message).toContain('AzureWebJobsStorage: is not a storage connection string');
    expect(message).not.toContain('garbage-with-a-secret');
  });

  it('a PORT that is not a port, or one already taken, says so and how to choose another', async () => {
    expect(await refusal(planStart(root, { PORT: 'abc' }))).toBe(
      'Cannot start: PORT must be a port number from 1 to 65535 (got "abc").',
    );
    const taken = createServer();
    await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done));
    const { port } = taken.address() as { port: number };
    try {
      expect(await refusal(planStart(root, { PORT: String(port) }))).toBe(
        `Cannot start: something already listens on port ${port} (another npm start?). Stop it, or choose another port: PORT=7073 npm start`,
      );
    } finally {
      taken.close();
    }
  });

  it('a flow file that does not validate stops it, naming each problem by its path', async () => {
    writeFileSync(
      join(root, 'bad-flows.json'),
      JSON.stringify({
        voice: { entry: 'menu', steps: { menu: { actions: [{ gather: { branches: { '7': 'sales' } } }] } } },
      }),
    );
    expect(await refusal(planStart(root, { PHONE_FLOWS: 'bad-flows.json' }, { checkPort: false }))).toBe(
      [
        'Cannot start: the flow file is not valid.',
        '  bad-flows.json:1:81: voice.steps.menu.actions[0].gather.branches.7: unknown step "sales"',
        'Fix it (editors check it against flows.schema.json), or set PHONE_FLOWS to another file.',
      ].join('\n'),
    );
    expect(await refusal(planStart(root, { PHONE_FLOWS: 'missing.json' }, { checkPort: false }))).toContain(
      '  missing.json: (the file): does not exist',
    );
  });

  it('a local.settings.json that is not JSON is named', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'start-checks-broken-'));
    writeFileSync(join(broken, 'local.settings.json'), '{ "Values": ');
    try {
      expect(await refusal(planStart(broken, {}, { checkPort: false }))).toMatch(
        /^Cannot start: .*local\.settings\.json is not valid JSON/,
      );
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });
});
