import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { USAGE as WEBHOOKS_USAGE } from '../../dev/webhooks/command';
import { ROOT } from '../support/appHost';
import { Bicep, findBicep, type ArmParameter } from './compiler';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const deploy = readme.split(/^## Deploy$/m)[1]?.split(/^## /m)[0] ?? '';

/** The shell commands of the section's code blocks, with `\`-continued lines joined. */
const commands = [...deploy.matchAll(/^```sh\n([\s\S]*?)^```$/gm)]
  .flatMap(([, block]) => block!.replace(/\\\n\s*/g, ' ').split('\n'))
  .map((line) => line.trim())
  .filter(Boolean);

/** `name=value` pairs after `--parameters`, up to the next `--option`. */
function parametersOf(command: string): Map<string, string> {
  const list = /--parameters (.*?)(?= --\w|$)/.exec(command)?.[1] ?? '';
  return new Map([...list.matchAll(/(?:^|\s)(\w+)=("[^"]*"|\S+)/g)].map(([, name, value]) => [name!, value!]));
}

const bicepPath = findBicep();
let parameters: Record<string, ArmParameter>;
let outputs: string[];
beforeAll(async () => {
  if (!bicepPath) return;
  const { template } = await new Bicep(bicepPath).build();
  parameters = template.parameters ?? {};
  outputs = Object.keys(template.outputs ?? {});
}, 300_000);
const declared = () => Object.keys(parameters);
const requiredParams = () => Object.entries(parameters).filter(([, p]) => !('defaultValue' in p)).map(([name]) => name);

// The parameters and outputs come from the compiled template (test/infra/bicep.test.ts says how to get the compiler).
describe.runIf(bicepPath)('README: Deploy', () => {
  it('sits after Settings and before Tests and benchmarks', () => {
    const sections = [...readme.matchAll(/^## (.+)$/gm)].map(([, title]) => title);
    expect(sections.indexOf('Deploy')).toBe(sections.indexOf('Settings') + 1);
    expect(sections.indexOf('Tests and benchmarks')).toBe(sections.indexOf('Deploy') + 1);
  });

  it('shows every step: provision (az or azd), build, publish, Twilio webhooks, template checks', () => {
    for (const command of [
      'az group create',
      'az deployment group create',
      'azd up',
      'npm run build',
      'func azure functionapp publish',
      'npm run webhooks',
      'az keyvault secret set',
      'az bicep build',
      'az bicep lint',
      'az deployment group what-if',
    ]) {
      expect(commands.some((line) => line.startsWith(command)), command).toBe(true);
    }
    for (const topic of ['### Logs', '### Rotate the auth token', '### What it costs at rest', 'alwaysReadyInstanceCount']) expect(deploy).toContain(topic);
  });

  it('deploys infra/main.bicep with parameters it declares, every required one included', () => {
    const deployments = commands.filter((line) => /^az deployment group (create|what-if) /.test(line));
    expect(deployments.length).toBeGreaterThanOrEqual(2);
    for (const command of deployments) {
      expect(command).toContain('--template-file infra/main.bicep');
      const given = [...parametersOf(command).keys()];
      expect(declared(), command).toEqual(expect.arrayContaining(given));
      expect(given, command).toEqual(expect.arrayContaining(requiredParams()));
    }
  });

  it('passes the auth token only from a shell variable read without echo', () => {
    for (const command of commands) {
      const token = parametersOf(command).get('twilioAuthToken');
      if (token !== undefined) expect(token, command).toBe('"$TWILIO_AUTH_TOKEN"');
    }
    for (const command of commands.filter((line) => line.includes('$TWILIO_AUTH_TOKEN'))) {
      const reads = commands.slice(0, commands.indexOf(command)).filter((line) => line.startsWith('read -rs ') && line.endsWith(' TWILIO_AUTH_TOKEN; echo'));
      expect(reads.length, command).toBeGreaterThan(0);
    }
  });

  it('reads only outputs the template declares', () => {
    const read = [
      ...[...deploy.matchAll(/\$\(output (\w+)\)|^output (\w+)|; output (\w+)/gm)].map((m) => m[1] ?? m[2] ?? m[3]),
      ...[...deploy.matchAll(/azd env get-value (\w+)/g)].map((m) => m[1]),
      ...[...deploy.matchAll(/the `(\w+)` output/g)].map((m) => m[1]),
    ];
    expect(read.length).toBeGreaterThanOrEqual(8);
    for (const name of read) expect(outputs, name).toContain(name);
  });

  it('lists only parameters the template declares, with the defaults it declares', () => {
    const rows = [...deploy.matchAll(/^\| (`[^|]+`) \| ([^|]+) \|/gm)];
    expect(rows.length).toBeGreaterThan(5);
    for (const [, names, defaultCell] of rows) {
      for (const [, name] of names!.matchAll(/`(\w+)`/g)) {
        const param = parameters[name!];
        expect(param, name).toBeDefined();
        const literal = /^`(.*)`$/.exec(defaultCell!.trim())?.[1];
        if (literal !== undefined && param?.defaultValue !== undefined) expect(String(param.defaultValue), name).toBe(literal);
      }
    }
  });

  it('points the number with the webhooks command as it is really spelled', () => {
    const webhooks = commands.find((line) => line.startsWith('npm run webhooks -- '));
    expect(webhooks).toBeDefined();
    for (const option of webhooks!.match(/--[\w-]+/g) ?? []) expect(WEBHOOKS_USAGE, option).toContain(option);
    expect(webhooks).toMatch(/--number \+\d+ --base-url "\$BASE_URL"/);
  });
});
