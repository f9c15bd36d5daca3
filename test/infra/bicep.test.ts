import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SMS_REPLY, DEFAULT_VOICE_GREETING, settingsTable } from '../../lib/config';
import { SMS_WEBHOOK_PATH, STATUS_CALLBACK_PATH, VOICE_WEBHOOK_PATH } from '../../lib/outbound';
import { INDEX_TABLE, RECORDS_TABLE } from '../../lib/tables';
import { ROOT } from '../support/appHost';
import {
  bicepFiles,
  enclosingDeclaration,
  identifiersIn,
  INFRA,
  keyPath,
  parseBicep,
  propertyAt,
  properties,
  readBicep,
  stringValue,
  syntaxProblems,
  usesOf,
  type BicepFile,
  type Resource,
} from './bicep';

const files = new Map<string, BicepFile>();
const file = (path: string) => {
  const found = files.get(path);
  if (!found) throw new Error(`${path} was not read`);
  return found;
};
const main = () => file('infra/main.bicep');
const moduleFile = (from: BicepFile, modulePath: string) => file(join(dirname(from.path), modulePath));
const resourcesOfType = (fullType: string) => [...files.values()].flatMap((f) => f.resources.filter((r) => r.fullType === fullType));
const only = <T>(items: T[], what: string): T => {
  expect(items, what).toHaveLength(1);
  return items[0]!;
};

/** The function app's app settings: the `Microsoft.Web/sites/config` resource named 'appsettings'. */
function appSettings(): Map<string, string> {
  const configs = resourcesOfType('Microsoft.Web/sites/config').filter((r) => stringValue(propertyAt(r.body, 'name')!) === 'appsettings');
  const settings = propertyAt(only(configs, 'one appsettings resource').body, 'properties');
  expect(settings?.type, 'app settings are one object literal, so every name is visible here').toBe('object');
  return new Map([...properties(settings!)].map(([name, value]) => [name, value.type === 'string' ? stringValue(value) : value.text]));
}

beforeAll(async () => {
  for (const path of bicepFiles()) files.set(path, await readBicep(path));
});

describe('Bicep syntax', () => {
  it('finds main.bicep and its modules', () => {
    expect(bicepFiles()).toContain('infra/main.bicep');
    expect(bicepFiles().filter((path) => path.startsWith('infra/modules/')).length).toBeGreaterThan(0);
  });

  it.each(bicepFiles())('%s parses with the Bicep grammar, with no error or missing node', (path) => {
    expect(syntaxProblems(file(path).root)).toEqual([]);
  });

  it('the grammar does reject broken Bicep, so the check above can fail', async () => {
    const broken = await parseBicep("param token\nresource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: 'kv'\n");
    expect(syntaxProblems(broken).length).toBeGreaterThan(0);
  });
});

describe('templates fit together', () => {
  it('documents every parameter with @description', () => {
    for (const f of files.values()) {
      for (const param of f.params) expect(param.decorators, `${f.path}: ${param.name}`).toContain('description');
    }
  });

  it('uses every parameter and variable it declares (what no-unused-params and no-unused-vars check)', () => {
    for (const f of files.values()) {
      for (const name of [...f.params.map((p) => p.name), ...f.variables.keys()]) expect(usesOf(f, name).length, `${f.path}: ${name}`).toBeGreaterThan(0);
    }
  });

  it('passes each module exactly the parameters it declares, and every one it requires', () => {
    for (const f of files.values()) {
      for (const mod of f.modules) {
        const target = moduleFile(f, mod.path);
        const passed = [...properties(propertyAt(mod.body, 'params')!).keys()];
        const declared = target.params.map((p) => p.name);
        expect(declared, `${f.path} -> ${mod.path}`).toEqual(expect.arrayContaining(passed));
        const required = target.params.filter((p) => !p.hasDefault).map((p) => p.name);
        expect(passed, `${f.path} -> ${mod.path}`).toEqual(expect.arrayContaining(required));
      }
    }
  });

  it('reads only outputs that the modules declare', () => {
    for (const f of files.values()) {
      for (const [, symbol, output] of f.source.matchAll(/\b(\w+)\.outputs\.(\w+)/g)) {
        const mod = f.modules.find((m) => m.symbol === symbol);
        expect(mod, `${f.path}: module ${symbol}`).toBeDefined();
        expect(moduleFile(f, mod!.path).outputs.map((o) => o.name), `${f.path}: ${symbol}.outputs.${output}`).toContain(output);
      }
    }
  });

  it('names every resource from one resourceToken, with an override parameter for each name', () => {
    const abbreviations = JSON.parse(readFileSync(join(INFRA, 'abbreviations.json'), 'utf8')) as Record<string, string>;
    for (const [, key] of main().source.matchAll(/\babbrs\.(\w+)/g)) expect(Object.keys(abbreviations), `abbrs.${key}`).toContain(key);
    expect(main().variables.get('resourceToken')?.text).toMatch(/uniqueString\(/);
    const overrides = main().params.filter((p) => p.name !== 'environmentName' && p.name.endsWith('Name'));
    expect(overrides.length).toBeGreaterThanOrEqual(7);
    for (const param of overrides) {
      expect(param.defaultValue?.text, param.name).toBe("''");
      const derived = new RegExp(`!empty\\(${param.name}\\) \\? ${param.name} : '\\$\\{abbrs\\.\\w+\\}\\$\\{resourceToken\\}'`);
      expect(main().source, param.name).toMatch(derived);
    }
  });
});

describe('resources', () => {
  const roles = {
    'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
    'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
    'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
    'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb',
    'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
  };
  const value = (resource: Resource, ...path: string[]) => {
    const node = propertyAt(resource.body, ...path);
    return node && (node.type === 'string' ? stringValue(node) : node.text);
  };
  const declared = (fullType: string) => only(resourcesOfType(fullType).filter((r) => !r.existing), fullType);

  it('runs the app on a Linux Flex Consumption plan with Node.js 22, HTTPS only, TLS 1.2 and no FTP', () => {
    const plan = declared('Microsoft.Web/serverfarms');
    expect([value(plan, 'sku', 'name'), value(plan, 'sku', 'tier'), value(plan, 'properties', 'reserved')]).toEqual(['FC1', 'FlexConsumption', 'true']);
    const site = declared('Microsoft.Web/sites');
    expect(value(site, 'kind')).toBe('functionapp,linux');
    expect(value(site, 'properties', 'functionAppConfig', 'runtime', 'name')).toBe('node');
    expect(value(site, 'properties', 'functionAppConfig', 'runtime', 'version')).toBe('22');
    expect(value(site, 'properties', 'functionAppConfig', 'scaleAndConcurrency', 'instanceMemoryMB')).toBe('instanceMemoryMB');
    expect(value(site, 'properties', 'functionAppConfig', 'scaleAndConcurrency', 'maximumInstanceCount')).toBe('maximumInstanceCount');
    expect(value(site, 'properties', 'httpsOnly')).toBe('true');
    expect(value(site, 'properties', 'siteConfig', 'minTlsVersion')).toBe('1.2');
    expect(value(site, 'properties', 'siteConfig', 'ftpsState')).toBe('Disabled');
    const ftp = declared('Microsoft.Web/sites/basicPublishingCredentialsPolicies');
    expect([value(ftp, 'name'), value(ftp, 'properties', 'allow')]).toEqual(['ftp', 'false']);
  });

  it('creates the record tables the app writes to, so no request waits for them', () => {
    const tables = resourcesOfType('Microsoft.Storage/storageAccounts/tableServices/tables').map((table) => value(table, 'name'));
    expect(tables.sort()).toEqual([INDEX_TABLE, RECORDS_TABLE].sort());
  });

  it('keeps no always-ready instance unless asked, and only for the http group', () => {
    const param = only(main().params.filter((p) => p.name === 'alwaysReadyInstanceCount'), 'alwaysReadyInstanceCount');
    expect(param.defaultValue?.text).toBe('0');
    const app = file('infra/modules/functionApp.bicep');
    expect(app.variables.get('alwaysReady')?.text).toMatch(/name: 'http', instanceCount: alwaysReadyInstanceCount/);
  });

  it('deploys the package from a blob container with the user-assigned identity', () => {
    const site = declared('Microsoft.Web/sites');
    expect(value(site, 'identity', 'type')).toBe('UserAssigned');
    expect(value(site, 'properties', 'functionAppConfig', 'deployment', 'storage', 'type')).toBe('blobContainer');
    expect(value(site, 'properties', 'functionAppConfig', 'deployment', 'storage', 'authentication', 'type')).toBe('UserAssignedIdentity');
    expect(value(site, 'properties', 'functionAppConfig', 'deployment', 'storage', 'authentication', 'userAssignedIdentityResourceId')).toBe('identityId');
    only(resourcesOfType('Microsoft.ManagedIdentity/userAssignedIdentities'), 'one user-assigned identity');
    declared('Microsoft.Storage/storageAccounts/blobServices/containers');
  });

  it('turns shared keys and public blobs off in storage, and local auth off in monitoring', () => {
    const storage = declared('Microsoft.Storage/storageAccounts');
    expect(value(storage, 'properties', 'allowSharedKeyAccess')).toBe('false');
    expect(value(storage, 'properties', 'allowBlobPublicAccess')).toBe('false');
    expect(value(storage, 'properties', 'minimumTlsVersion')).toBe('TLS1_2');
    expect(value(declared('Microsoft.Insights/components'), 'properties', 'DisableLocalAuth')).toBe('true');
    expect(value(declared('Microsoft.OperationalInsights/workspaces'), 'properties', 'features', 'disableLocalAuth')).toBe('true');
  });

  it('keeps the token in a Key Vault with RBAC authorization, soft delete and purge protection as a parameter', () => {
    const vault = declared('Microsoft.KeyVault/vaults');
    expect(value(vault, 'properties', 'enableRbacAuthorization')).toBe('true');
    expect(value(vault, 'properties', 'enableSoftDelete')).toBe('true');
    expect(value(vault, 'properties', 'enablePurgeProtection')).toMatch(/^enablePurgeProtection\b/);
    expect(main().params.map((p) => p.name)).toContain('enablePurgeProtection');
    declared('Microsoft.KeyVault/vaults/secrets');
  });

  it('declares role assignments only in modules/rbac.bicep, each named guid(scope, principal, role)', () => {
    for (const f of files.values()) {
      if (f.path !== 'infra/modules/rbac.bicep') expect(f.resources.filter((r) => r.fullType === 'Microsoft.Authorization/roleAssignments'), f.path).toEqual([]);
    }
    const assignments = file('infra/modules/rbac.bicep').resources.filter((r) => r.fullType === 'Microsoft.Authorization/roleAssignments');
    expect(assignments.length).toBeGreaterThan(0);
    for (const assignment of assignments) {
      const name = propertyAt(assignment.body, 'name')!;
      const [scope, principal, role] = (name.childForFieldName('arguments')?.namedChildren ?? []).map((arg) => arg.text);
      expect(name.childForFieldName('function')?.text, assignment.symbol).toBe('guid');
      expect(scope, assignment.symbol).toBe(`${value(assignment, 'scope')}.id`);
      expect(principal, assignment.symbol).toBe(value(assignment, 'properties', 'principalId'));
      expect(value(assignment, 'properties', 'roleDefinitionId'), assignment.symbol).toBe(
        `subscriptionResourceId('Microsoft.Authorization/roleDefinitions', ${role})`,
      );
    }
  });

  it("gives the app's identity each role it needs, and only those", () => {
    const rbac = file('infra/modules/rbac.bicep');
    const roleIds = properties(rbac.variables.get('roles')!);
    const guidOf = (expression: string): string[] => {
      const member = /^roles\.(\w+)$/.exec(expression);
      if (member) return [stringValue(roleIds.get(member[1]!)!)];
      const loop = rbac.variables.get(expression);
      if (loop?.type === 'array') return loop.namedChildren.flatMap((item) => guidOf(item.text));
      return [];
    };
    const granted = rbac.resources
      .filter((r) => r.fullType === 'Microsoft.Authorization/roleAssignments' && value(r, 'properties', 'principalId') === 'identityPrincipalId')
      .flatMap((r) => {
        const role = /, (\S+)\)$/.exec(value(r, 'properties', 'roleDefinitionId')!)![1]!;
        return guidOf(r.loop?.variable === role ? r.loop.iterable : role);
      });
    expect(granted.sort()).toEqual(Object.values(roles).sort());
  });

  it('outputs the app name, its base URL and the three Twilio webhook URLs the app serves', () => {
    const outputs = new Map(main().outputs.map((o) => [o.name, o.value.text]));
    expect(outputs.get('functionAppName')).toBeDefined();
    expect(outputs.get('baseUrl')).toBeDefined();
    expect(outputs.get('voiceWebhookUrl')).toBe(`'\${functionApp.outputs.baseUrl}${VOICE_WEBHOOK_PATH}'`);
    expect(outputs.get('smsWebhookUrl')).toBe(`'\${functionApp.outputs.baseUrl}${SMS_WEBHOOK_PATH}'`);
    expect(outputs.get('statusCallbackUrl')).toBe(`'\${functionApp.outputs.baseUrl}${STATUS_CALLBACK_PATH}'`);
    const app = file('infra/modules/functionApp.bicep');
    expect(app.outputs.find((o) => o.name === 'baseUrl')?.value.text).toBe(`'https://\${functionApp.properties.defaultHostName}'`);
  });
});

describe('app settings agree with the settings schema (lib/config.ts)', () => {
  const schema = settingsTable();
  const named = (requirement: string) => schema.filter((s) => s.requirement === requirement).map((s) => s.name);
  /** Settings the platform reads (host storage, telemetry, runtime), not the app's code. */
  const azureOwn = (name: string) =>
    /^(APPLICATIONINSIGHTS_|FUNCTIONS_|WEBSITE_|SCM_)/.test(name) || ['AzureWebJobsStorage__blobServiceUri', 'AzureWebJobsStorage__queueServiceUri'].includes(name);

  it('sets every setting required always or in Azure', () => {
    expect([...appSettings().keys()]).toEqual(expect.arrayContaining([...named('always'), ...named('azure')]));
  });

  it('reaches storage by identity: service URIs, managedidentity and the client ID, never a connection string', () => {
    const settings = appSettings();
    expect(settings.has('AzureWebJobsStorage')).toBe(false);
    expect(named('storage')).toContain('AzureWebJobsStorage__tableServiceUri');
    for (const service of ['blob', 'queue', 'table']) expect(settings.get(`AzureWebJobsStorage__${service}ServiceUri`), service).toBe(`${service}Endpoint`);
    expect(settings.get('AzureWebJobsStorage__credential')).toBe('managedidentity');
    expect(settings.get('AzureWebJobsStorage__clientId')).toBe('identityClientId');
    expect(settings.get('APPLICATIONINSIGHTS_AUTHENTICATION_STRING')).toBe('ClientId=${identityClientId};Authorization=AAD');
  });

  it('sets nothing the code does not read, apart from the platform\'s own settings', () => {
    const known = new Set<string>(schema.map((s) => s.name));
    for (const name of appSettings().keys()) expect(known.has(name) || azureOwn(name), name).toBe(true);
  });

  it('leaves out local-only settings and those Flex Consumption rejects', () => {
    const forbidden = [
      'TWILIO_API_BASE_URL',
      'FUNCTIONS_WORKER_RUNTIME',
      'FUNCTIONS_EXTENSION_VERSION',
      'WEBSITE_NODE_DEFAULT_VERSION',
      'WEBSITE_RUN_FROM_PACKAGE',
      'WEBSITE_CONTENTSHARE',
      'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING',
      'SCM_DO_BUILD_DURING_DEPLOYMENT',
      'ENABLE_ORYX_BUILD',
    ];
    for (const name of forbidden) expect(appSettings().has(name), name).toBe(false);
  });

  it("sets PUBLIC_BASE_URL to the app's own https origin", () => {
    expect(appSettings().get('PUBLIC_BASE_URL')).toBe('https://${functionApp.properties.defaultHostName}');
  });

  it("takes the greeting and the reply from parameters whose defaults are the code's defaults", () => {
    expect(appSettings().get('VOICE_GREETING')).toBe('voiceGreeting');
    expect(appSettings().get('SMS_REPLY')).toBe('smsReply');
    const defaults = new Map(main().params.map((p) => [p.name, p.defaultValue && stringValue(p.defaultValue)]));
    expect(defaults.get('voiceGreeting')).toBe(DEFAULT_VOICE_GREETING);
    expect(defaults.get('smsReply')).toBe(DEFAULT_SMS_REPLY);
  });

  it('local.settings.json.example names every setting required always, and a way to reach storage', () => {
    const example = JSON.parse(readFileSync(join(ROOT, 'local.settings.json.example'), 'utf8')) as { Values: Record<string, string> };
    expect(Object.keys(example.Values)).toEqual(expect.arrayContaining(named('always')));
    expect(named('storage').some((name) => name in example.Values)).toBe(true);
  });
});

describe('the Twilio auth token', () => {
  const secureParams = (f: BicepFile) => f.params.filter((p) => p.decorators.includes('secure')).map((p) => p.name);

  it('enters as a @secure() parameter with no default', () => {
    const param = only(main().params.filter((p) => p.name === 'twilioAuthToken'), 'twilioAuthToken');
    expect(param.decorators).toContain('secure');
    expect(param.hasDefault).toBe(false);
    for (const f of files.values()) {
      for (const p of f.params.filter((p) => /(token|secret|password|key)$/i.test(p.name))) expect(p.decorators, `${f.path}: ${p.name}`).toContain('secure');
    }
  });

  it('goes only into a @secure() module parameter or a Key Vault secret value', () => {
    for (const f of files.values()) {
      for (const name of secureParams(f)) {
        const uses = usesOf(f, name);
        expect(uses.length, `${f.path}: ${name} is used`).toBeGreaterThan(0);
        for (const use of uses) {
          const declaration = enclosingDeclaration(use);
          const where = `${f.path}:${use.startPosition.row + 1} ${name}`;
          expect(use.parent?.type, `${where} is passed as it is, not inside an expression`).toBe('object_property');
          if (declaration?.type === 'module_declaration') {
            const mod = only(f.modules.filter((m) => declaration.text.startsWith(`module ${m.symbol} `)), where);
            const [params, target] = keyPath(use);
            expect(params, where).toBe('params');
            expect(secureParams(moduleFile(f, mod.path)), where).toContain(target);
          } else {
            const resource = f.resources.find((r) => r.body.parent?.id === declaration?.id || r.body.parent?.parent?.id === declaration?.id);
            expect(resource?.fullType, where).toBe('Microsoft.KeyVault/vaults/secrets');
            expect(keyPath(use).slice(-2), where).toEqual(['properties', 'value']);
          }
        }
      }
    }
  });

  it('never appears in an output', () => {
    for (const f of files.values()) {
      for (const output of f.outputs) {
        for (const name of secureParams(f)) expect(identifiersIn(output.value), `${f.path}: output ${output.name}`).not.toContain(name);
        expect(output.value.text, `${f.path}: output ${output.name}`).not.toMatch(/\blist\w*\(/);
      }
    }
  });

  it('is never given in a parameters file', () => {
    const parameterFiles = readdirSync(INFRA).filter((name) => name.endsWith('.parameters.json') || name.endsWith('.bicepparam'));
    expect(parameterFiles).toContain('main.parameters.json');
    for (const name of parameterFiles) expect(readFileSync(join(INFRA, name), 'utf8'), name).not.toMatch(/twilioAuthToken/i);
  });

  it('reaches the app as a Key Vault reference to the versionless secret URI, resolved with the identity', () => {
    expect(appSettings().get('TWILIO_AUTH_TOKEN')).toBe('@Microsoft.KeyVault(SecretUri=${twilioAuthTokenUri})');
    const vault = file('infra/modules/keyVault.bicep');
    expect(vault.outputs.find((o) => o.name === 'twilioAuthTokenUri')?.value.text).toMatch(/\.properties\.secretUri$/);
    expect(main().source).toMatch(/twilioAuthTokenUri: keyVault\.outputs\.twilioAuthTokenUri/);
    const site = only(resourcesOfType('Microsoft.Web/sites'), 'one function app');
    expect(propertyAt(site.body, 'properties', 'keyVaultReferenceIdentity')?.text).toBe('identityId');
  });
});

describe('deployment entry points', () => {
  const requiredParams = () => main().params.filter((p) => !p.hasDefault).map((p) => p.name);

  it('main.parameters.json names only parameters of main.bicep and every required one but the token', () => {
    const parameters = JSON.parse(readFileSync(join(INFRA, 'main.parameters.json'), 'utf8')) as { parameters: Record<string, unknown> };
    const names = Object.keys(parameters.parameters);
    expect(main().params.map((p) => p.name)).toEqual(expect.arrayContaining(names));
    expect(names).toEqual(expect.arrayContaining(requiredParams().filter((name) => name !== 'twilioAuthToken')));
  });

  it('azure.yaml deploys this project as a function to the app the template tags for it', () => {
    const yaml = readFileSync(join(ROOT, 'azure.yaml'), 'utf8');
    const service = /^services:\n {2}(\w+):\n((?: {4}.*\n|\s*\n)*)/m.exec(yaml);
    expect(service, 'one service under services:').not.toBeNull();
    expect(main().variables.get('serviceName')?.text).toBe(`'${service![1]}'`);
    expect(service![2]).toMatch(/^ {4}project: \.$/m);
    expect(service![2]).toMatch(/^ {4}host: function$/m);
    expect(service![2]).toMatch(/^ {4}language: (ts|js)$/m);
    expect(yaml).toMatch(/^ {2}path: infra$/m);
    expect(existsSync(join(INFRA, 'bicepconfig.json'))).toBe(true);
  });

  it('bicepconfig.json makes the secret and unused-parameter lint rules errors', () => {
    const config = JSON.parse(readFileSync(join(INFRA, 'bicepconfig.json'), 'utf8')) as {
      analyzers: { core: { rules: Record<string, { level: string }> } };
    };
    for (const rule of ['secure-secrets-in-params', 'outputs-should-not-contain-secrets', 'no-unused-params']) {
      expect(config.analyzers.core.rules[rule]?.level, rule).toBe('error');
    }
  });
});
