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

  it('moves every port for a second checkout: PORT, EMULATOR_PORT and AZURITE_PORT_BASE, or all with PORT_OFFSET', async () => {
    const defaults = await planStart(root, {}, { checkPort: false });
    expect(defaults.ports).toEqual({ app: 7071, emulator: 0, azurite: { blob: 10000, queue: 10001, table: 10002 } });
    expect(defaults.env.AzureWebJobsStorage).toBe('UseDevelopmentStorage=true');

    const each = await planStart(
      root,
      { PORT: '7081', EMULATOR_PORT: '7082', AZURITE_PORT_BASE: '10100' },
      { checkPort: false },
    );
    expect(each.ports).toEqual({ app: 7081, emulator: 7082, azurite: { blob: 10100, queue: 10101, table: 10102 } });
    expect(each.port).toBe(7081);
    // UseDevelopmentStorage=true means the default ports, so the app is given Azurite's endpoints on the moved ones.
    expect(each.env.AzureWebJobsStorage).toMatch(/BlobEndpoint=http:\/\/127\.0\.0\.1:10100\/devstoreaccount1;/);
    expect(each.env.AzureWebJobsStorage).toMatch(/QueueEndpoint=http:\/\/127\.0\.0\.1:10101\/devstoreaccount1;/);
    expect(each.env.AzureWebJobsStorage).toMatch(/TableEndpoint=http:\/\/127\.0\.0\.1:10102\/devstoreaccount1;/);
    expect(each.settings.AzureWebJobsStorage).toBe(each.env.AzureWebJobsStorage);

    const all = await planStart(root, { PORT_OFFSET: '10' }, { checkPort: false });
    expect(all.ports).toEqual({ app: 7081, emulator: 7082, azurite: { blob: 10010, queue: 10011, table: 10012 } });
  });

  it('a port setting that is not a port names itself and its range', async () => {
    expect(await refusal(planStart(root, { EMULATOR_PORT: '70000' }, { checkPort: false }))).toBe(
      'Cannot start: EMULATOR_PORT must be a port number from 1 to 65535 (got "70000").',
    );
    expect(await refusal(planStart(root, { AZURITE_PORT_BASE: '65534' }, { checkPort: false }))).toBe(
      'Cannot start: AZURITE_PORT_BASE must be a port number from 1 to 65533: blob, queue and table take it and the next two (got "65534").',
    );
    expect(await refusal(planStart(root, { PORT_OFFSET: '-1' }, { checkPort: false }))).toBe(
      'Cannot start: PORT_OFFSET must be a whole number from 0 to 1000 (got "-1").',
    );
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
