/**
 * docs/deploy-and-operations.md, read as a new user would follow it: every command in order,
 * checked against the compiled template (parameters, outputs) and the commands it runs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { USAGE as WEBHOOKS_USAGE } from '../../dev/webhooks/command';
import { Bicep, findBicep, type ArmParameter } from '../infra/compiler';
import { ROOT } from '../support/appHost';

const page = readFileSync(join(ROOT, 'docs', 'deploy-and-operations.md'), 'utf8');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The page's `## ` sections by title. */
const sections = new Map(
  page
    .split(/^## /m)
    .slice(1)
    .map((section) => [section.slice(0, section.indexOf('\n')), section] as const),
);
const section = (title: string) => {
  const found = sections.get(title);
  if (found === undefined) throw new Error(`no section "## ${title}"`);
  return found;
};

/** The shell commands of a text's code blocks, with `\`-continued lines joined. */
const commandsIn = (text: string) =>
  [...text.matchAll(/^```sh\n([\s\S]*?)^```$/gm)]
    .flatMap(([, block]) => block!.replace(/\s*\\\n\s*/g, ' ').split('\n'))
    .map((line) => line.trim())
    .filter(Boolean);
const commands = commandsIn(page);

/** `name=value` pairs after `--parameters`, up to the next `--option`. */
function parametersOf(command: string): Map<string, string> {
  const list = /--parameters (.*?)(?= --\w|$)/.exec(command)?.[1] ?? '';
  return new Map([...list.matchAll(/(?:^|\s)(\w+)=("[^"]*"|\S+)/g)].map(([, name, value]) => [name!, value!]));
}

/** Shell variables and functions a command defines (`NAME=…` at its start, `read … NAME`, `name() {`). */
const definedBy = (command: string): string[] => [
  ...[...command.matchAll(/^(\w+)=(?:"[^"]*"|\$\([^)]*\)|\S+)$/g)].map((m) => m[1]!),
  ...[...command.matchAll(/^read\b.* (\w+);/g)].map((m) => m[1]!),
  ...[...command.matchAll(/^(\w+)\(\) \{/g)].map((m) => m[1]!),
];
/** Shell variables a command reads, and whether it calls the `output` helper. */
const usedBy = (command: string): string[] => [
  ...[...command.matchAll(/\$\{?(\w+)/g)].map((m) => m[1]!),
  ...(/(^|[(;] *)output /.test(command) ? ['output'] : []),
];

/** The `${NAME}` (or `${NAME=default}`) each parameter of infra/main.parameters.json takes from the azd environment. */
const azdParameters = new Map(
  Object.entries(
    (
      JSON.parse(readFileSync(join(ROOT, 'infra', 'main.parameters.json'), 'utf8')) as {
        parameters: Record<string, { value: string }>;
      }
    ).parameters,
  ).map(([name, { value }]) => {
    const [, variable, fallback] = /^\$\{(\w+)(?:=([^}]*))?\}$/.exec(value) ?? [];
    return [name, { variable, fallback }] as const;
  }),
);
/** Variables azd itself reads from its environment (resource group, region, subscription). */
const AZD_OWN = ['AZURE_RESOURCE_GROUP', 'AZURE_LOCATION', 'AZURE_SUBSCRIPTION_ID', 'AZURE_ENV_NAME'];
const readmeCommands = commandsIn(readme).map((line) => line.replace(/\s+#.*$/, ''));

/** `>=20.19 <23` from package.json, as a check of a major.minor version. */
const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines
  .node;
const [, lowMajor, lowMinor, below] = /^>=(\d+)\.(\d+) <(\d+)$/.exec(engines)!.map(Number);
const nodeAllowed = (version: string) => {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return (major > lowMajor! || (major === lowMajor && minor >= lowMinor!)) && major < below!;
};

const bicepPath = findBicep();
let parameters: Record<string, ArmParameter>;
let outputs: string[];
beforeAll(async () => {
  if (!bicepPath) return;
  const { template } = await new Bicep(bicepPath).build();
  parameters = template.parameters ?? {};
  outputs = Object.keys(template.outputs ?? {});
}, 300_000);

describe('docs/deploy-and-operations.md', () => {
  it('shows every step: resource group, provision with azd or az, package, publish, point the number, operate, check', () => {
    for (const command of [
      'az group create',
      'azd up',
      'az deployment group create',
      'npm run package',
      '(cd .artifacts/app && "$FUNC" azure functionapp publish "$APP")',
      'npm run webhooks',
      'az keyvault secret set',
      'az group delete',
      'az bicep build',
      'az bicep lint',
      'az deployment group what-if',
    ]) {
      expect(
        commands.some((line) => line.includes(command)),
        command,
      ).toBe(true);
    }
    for (const title of [
      'Path A: `azd up`',
      'Path B: the Azure CLI and Core Tools',
      'Logs',
      'Rotate the auth token',
      'What it costs at rest',
      'Remove everything',
    ]) {
      expect([...sections.keys()], title).toContain(title);
    }
  });

  it('gives each path every variable and the output helper the later steps use, so no step has a gap', () => {
    const common = commandsIn(section('Before you start')).flatMap(definedBy);
    const later = [...sections.keys()].slice([...sections.keys()].indexOf('Path B: the Azure CLI and Core Tools') + 1);
    for (const path of ['Path A: `azd up`', 'Path B: the Azure CLI and Core Tools']) {
      const defined = new Set([...common, ...commandsIn(section(path)).flatMap(definedBy)]);
      expect([...defined], path).toEqual(expect.arrayContaining(['RG', 'APP', 'BASE_URL', 'output']));
      for (const title of later) {
        const local = new Set(defined);
        for (const command of commandsIn(section(title))) {
          for (const name of usedBy(command)) expect(local.has(name), `${path} → ${title}: ${command}`).toBe(true);
          for (const name of definedBy(command)) local.add(name);
        }
      }
    }
  });

  it('publishes from the package folder that npm run package builds, and azd deploys the same folder', () => {
    const publish = commands.findIndex((line) => line.includes('azure functionapp publish'));
    const build = commands.indexOf('npm run package');
    expect(build).toBeGreaterThanOrEqual(0);
    expect(build).toBeLessThan(publish);
    expect(readFileSync(join(ROOT, 'azure.yaml'), 'utf8')).toMatch(/^ {4}dist: \.artifacts\/app$/m);
    expect(page).not.toMatch(/npm prune/);
  });

  it('passes the auth token only from a shell variable read without echo, and unsets it after', () => {
    for (const command of commands) {
      const token = parametersOf(command).get('twilioAuthToken');
      if (token !== undefined) expect(token, command).toBe('"$TWILIO_AUTH_TOKEN"');
    }
    for (const [index, command] of commands.entries()) {
      if (!command.includes('$TWILIO_AUTH_TOKEN')) continue;
      const before = commands.slice(0, index);
      const read = before.findLastIndex((line) => /^read -rs .* TWILIO_AUTH_TOKEN; echo$/.test(line));
      expect(read, command).toBeGreaterThanOrEqual(0);
      expect(before.slice(read).includes('unset TWILIO_AUTH_TOKEN'), `${command}: read again after an unset`).toBe(
        false,
      );
      const after = commands.slice(index + 1);
      const nextRead = after.findIndex((line) => line.startsWith('read -rs '));
      expect(
        after.slice(0, nextRead < 0 ? undefined : nextRead).includes('unset TWILIO_AUTH_TOKEN'),
        `${command}: unset before the next read`,
      ).toBe(true);
    }
    expect(commands.some((line) => /^export\b.*TWILIO_AUTH_TOKEN/.test(line))).toBe(false);
  });

  it('points the number with the webhooks command as it is really spelled, giving it the token for that command only, with --retry', () => {
    const webhooks = commands.find((line) => line.includes('npm run webhooks -- '));
    expect(webhooks).toBeDefined();
    for (const option of webhooks!.split('npm run webhooks -- ')[1]!.match(/--[\w-]+/g) ?? [])
      expect(WEBHOOKS_USAGE, option).toContain(option);
    expect(webhooks).toMatch(/--number \+\d+ --base-url "\$BASE_URL"/);
    expect(webhooks).toMatch(/--retry \d/);
    expect(webhooks).toMatch(/^TWILIO_ACCOUNT_SID=AC\w+ TWILIO_AUTH_TOKEN="\$TWILIO_AUTH_TOKEN" npm run webhooks /);
  });

  it('names every webhook URL, fallbacks included, in the Twilio console steps', () => {
    const steps = section('Point your Twilio number at the app');
    for (const output of [
      'VOICE_WEBHOOK_URL',
      'VOICE_FALLBACK_URL',
      'STATUS_CALLBACK_URL',
      'SMS_WEBHOOK_URL',
      'SMS_FALLBACK_URL',
    ]) {
      expect(steps).toContain(`the \`${output}\` output`);
    }
  });

  it('gives the README the same azd steps as Path A, and sets only variables azd or main.parameters.json reads', () => {
    const pathA = commandsIn(section('Path A: `azd up`'));
    const setup = (lines: string[]) =>
      lines
        .slice(
          0,
          lines.findIndex((line) => line.startsWith('azd up')),
        )
        .filter((line) => line.startsWith('azd '))
        .map((line) => /^azd (auth login|env new|env set \w+)/.exec(line)?.[1]);
    expect(setup(readmeCommands)).toEqual(setup(pathA));
    const mapped = [...azdParameters.values()].map((parameter) => parameter.variable);
    for (const text of [page, readme])
      for (const [, name] of text.matchAll(/azd env set (\w+)/g))
        expect([...AZD_OWN, ...mapped], `azd env set ${name}`).toContain(name);
  });

  it("maps the settings azd users may change, with the template's own defaults", () => {
    for (const [parameter, variable] of [
      ['voiceGreeting', 'VOICE_GREETING'],
      ['smsReply', 'SMS_REPLY'],
      ['phoneFlows', 'PHONE_FLOWS'],
    ] as const)
      expect(azdParameters.get(parameter)?.variable, parameter).toBe(variable);
    expect(page).not.toMatch(/answer azd's prompt/);
  });

  it('calls Core Tools where they are: on PATH or in node_modules/.bin, never a bare func from the package folder', () => {
    const publish = commands.find((line) => line.includes('functionapp publish'))!;
    expect(publish).toMatch(/"\$FUNC" azure functionapp publish/);
    const defined = commands.find((line) => line.startsWith('FUNC='));
    expect(defined).toMatch(/command -v func/);
    expect(defined).toContain('node_modules/.bin/func');
    expect(readFileSync(join(ROOT, 'package.json'), 'utf8')).toContain('"azure-functions-core-tools"');
    for (const line of [...commands, ...readmeCommands]) expect(line, line).not.toMatch(/(^|[;&(]\s*)func /);
  });

  it('states Node.js versions that package.json engines allow', () => {
    const stated = [page, readme].flatMap((text) =>
      [...text.matchAll(/Node\.js (\d+(?:\.\d+)?)(?: or later \d+\.x)?(?:, or (\d+))?/g)].flatMap(([, a, b]) =>
        [a, b].filter(Boolean),
      ),
    );
    expect(stated.length).toBeGreaterThanOrEqual(3);
    for (const version of stated) expect(nodeAllowed(version!), `Node.js ${version} against ${engines}`).toBe(true);
    const runtime = /runtime: \{\s*name: 'node'\s*version: '(\d+)'/.exec(
      readFileSync(join(ROOT, 'infra', 'modules', 'functionApp.bicep'), 'utf8'),
    )?.[1];
    expect(runtime && nodeAllowed(runtime), `the Bicep runtime ${runtime}`).toBe(true);
  });

  describe.runIf(bicepPath)('against the compiled template', () => {
    it('deploys infra/main.bicep with parameters it declares, every required one included', () => {
      const deployments = commands.filter((line) => /^az deployment group (create|what-if) /.test(line));
      expect(deployments.length).toBeGreaterThanOrEqual(2);
      const required = Object.entries(parameters)
        .filter(([, p]) => !('defaultValue' in p))
        .map(([name]) => name);
      for (const command of deployments) {
        expect(command).toContain('--template-file infra/main.bicep');
        const given = [...parametersOf(command).keys()];
        expect(Object.keys(parameters), command).toEqual(expect.arrayContaining(given));
        expect(given, command).toEqual(expect.arrayContaining(required));
      }
    });

    it('reads only outputs the template declares, here and in the README', () => {
      const read = [page, readme].flatMap((text) => [
        ...[...text.matchAll(/(?:^|\$\(|; )output (\w+)/gm)].map((m) => m[1]),
        ...[...text.matchAll(/azd env get-value (\w+)/g)].map((m) => m[1]),
        ...[...text.matchAll(/the `(\w+)` output/g)].map((m) => m[1]),
      ]);
      expect(read.length).toBeGreaterThanOrEqual(10);
      for (const name of read) expect(outputs, name).toContain(name);
    });

    it('lists every output in its outputs table, and nothing else', () => {
      const listed = [...section('Outputs').matchAll(/^\| ([^|]+) \|/gm)].flatMap(([, cell]) =>
        [...cell!.matchAll(/`(\w+)`/g)].map((m) => m[1]),
      );
      expect(listed.sort()).toEqual([...outputs].sort());
    });

    it('names every parameter the template declares, in the table or in the deploy command', () => {
      const given = commands
        .filter((line) => line.startsWith('az deployment group create'))
        .flatMap((line) => [...parametersOf(line).keys()]);
      const tabled = [...section('Parameters').matchAll(/`(\w+)`/g)].map((m) => m[1]);
      for (const name of Object.keys(parameters)) expect([...given, ...tabled], name).toContain(name);
    });

    it("maps main.parameters.json only to parameters it declares, each default the same as the template's", () => {
      for (const [name, { variable, fallback }] of azdParameters) {
        expect(parameters[name], name).toBeDefined();
        expect(variable, name).toBeDefined();
        if (fallback !== undefined) expect(fallback, name).toBe(String(parameters[name]!.defaultValue));
      }
    });

    it('lists only parameters the template declares, with the defaults it declares', () => {
      const rows = [...section('Parameters').matchAll(/^\| (`[^|]+`) \| ([^|]+) \|/gm)];
      expect(rows.length).toBeGreaterThan(5);
      for (const [, names, defaultCell] of rows) {
        for (const [, name] of names!.matchAll(/`(\w+)`/g)) {
          const param = parameters[name!];
          expect(param, name).toBeDefined();
          const literal = /^`(.*)`$/.exec(defaultCell!.trim())?.[1];
          if (literal !== undefined && param?.defaultValue !== undefined)
            expect(String(param.defaultValue), name).toBe(literal);
        }
      }
    });
  });
});
