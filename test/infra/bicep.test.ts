/**
 * infra/ checked with the real Bicep compiler: `bicep build` and `bicep lint` must report
 * nothing (they check resource types, API versions and property names against Azure's type
 * definitions), and the assertions read what the compiler produced: the ARM JSON for
 * parameters and outputs, and `bicep snapshot` (that JSON evaluated for a set of parameters)
 * for resources, their properties, role assignment scopes and app settings.
 *
 * No tree-sitter parse of the Bicep source is left: every fact the old checks read from the
 * source is in the compiled or evaluated JSON, and the compiler checks the rest (module
 * parameters and outputs, unused parameters and variables).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SMS_REPLY, DEFAULT_VOICE_GREETING, settingsTable } from '../../lib/config/settings';
import { routePath } from '../../lib/config/routes';
import { DEBUGGER_LOG_PREFIX } from '../../lib/records/debugger';
import { CAMPAIGNS_TABLE, CONVERSATIONS_TABLE, IDEMPOTENCY_TABLE, RECORDS_TABLE } from '../../lib/records/tables';
import { poisonQueue, QUEUES } from '../../lib/config/queues';
import { ROOT } from '../support/appHost';
import {
  Bicep,
  findBicep,
  HOW_TO_GET_BICEP,
  INFRA,
  PINNED_VERSION,
  TEST_SCOPE,
  templatesIn,
  type ArmTemplate,
  type Diagnostic,
  type PredictedResource,
  type Snapshot,
} from './compiler';

const bicepPath = findBicep();
const onCi = process.env.CI === 'true';
// Slow only when the machine is busy; the compiler takes a few seconds per run.
const COMPILE_TIMEOUT = 300_000;

const ROLES = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
};

/** The storage and telemetry roles both the app and the deploying user get. */
const dataAccess = (account: string, insights: string, principalType: string) => [
  { scope: account, role: ROLES.storageBlobDataOwner, principalType },
  { scope: account, role: ROLES.storageQueueDataContributor, principalType },
  { scope: account, role: ROLES.storageTableDataContributor, principalType },
  { scope: insights, role: ROLES.monitoringMetricsPublisher, principalType },
];

// Made up for the snapshot, which must not show it anywhere.
const SNAPSHOT_TOKEN = 'snapshot-auth-token-7f3c9e';
const SNAPSHOT_FLOW_SECRET = 'snapshot-flow-http-secret-4b1d8a';
const USER_PRINCIPAL = '11111111-2222-3333-4444-555555555555';
const required = {
  environmentName: 'twilio-test',
  twilioAccountSid: 'AC0123456789abcdef0123456789abcdef',
  twilioAuthToken: SNAPSHOT_TOKEN,
  twilioPhoneNumber: '+15550100000',
};
const overrides = {
  functionAppName: 'func-custom',
  functionPlanName: 'plan-custom',
  storageAccountName: 'stcustom',
  keyVaultName: 'kv-custom',
  identityName: 'id-custom',
  logAnalyticsName: 'log-custom',
  applicationInsightsName: 'appi-custom',
};

it.runIf(!bicepPath && onCi)('has the Bicep compiler on CI', () => {
  expect.fail(HOW_TO_GET_BICEP);
});
if (!bicepPath && !onCi) {
  console.warn(`test/infra: skipped. ${HOW_TO_GET_BICEP}`);
  it.skip(`compiles infra/ (${HOW_TO_GET_BICEP})`, () => {});
}

describe.runIf(bicepPath)('infra/main.bicep, compiled by the Bicep CLI', () => {
  const bicep = new Bicep(bicepPath!);
  let template: ArmTemplate;
  let buildDiagnostics: Diagnostic[];
  let lintDiagnostics: Diagnostic[];
  /** Defaults, with a deploying user: names derived from the token, the user's roles granted. */
  let derived: Snapshot;
  /** Every name overridden, no user, and the optional features on. */
  let custom: Snapshot;

  beforeAll(async () => {
    // One compiler run at a time: each is a .NET process that keeps a core busy for seconds
    // (four side by side took 38 s here against 15 s one after another).
    ({ template, diagnostics: buildDiagnostics } = await bicep.build());
    lintDiagnostics = await bicep.lint();
    derived = await bicep.snapshot({ ...required, principalId: USER_PRINCIPAL });
    custom = await bicep.snapshot({
      ...required,
      ...overrides,
      voiceGreeting: 'Custom greeting',
      smsReply: 'Custom reply',
      phoneFlows: 'flows/examples/ivr.json',
      alwaysReadyInstanceCount: 1,
      enablePurgeProtection: true,
      instanceMemoryMB: 4096,
      maximumInstanceCount: 100,
      alertEmail: 'ops@example.com',
      recordRetentionDays: 90,
      recordingRetentionDays: 30,
      flowHttpSecret: SNAPSHOT_FLOW_SECRET,
    });
  }, COMPILE_TIMEOUT);

  const ofType = (snapshot: Snapshot, type: string) => snapshot.predictedResources.filter((r) => r.type === type);
  const one = (snapshot: Snapshot, type: string): PredictedResource => {
    const found = ofType(snapshot, type);
    expect(found, type).toHaveLength(1);
    return found[0]!;
  };
  /** A resource's `properties`, or the value at a path of keys inside them. */
  const props = (resource: PredictedResource, ...path: string[]): unknown =>
    path.reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], resource.properties);
  const appSettings = (snapshot: Snapshot) =>
    props(one(snapshot, 'Microsoft.Web/sites/config')) as Record<string, string>;
  const idOf = (type: string, name: string) =>
    `/subscriptions/${TEST_SCOPE.subscriptionId}/resourceGroups/${TEST_SCOPE.resourceGroup}/providers/${type}/${name}`;
  /** `[...]` expressions the snapshot could not work out (they need a deployed resource), without the brackets. */
  const expression = (value: unknown) => {
    expect(value).toMatch(/^\[.*\]$/);
    return (value as string).slice(1, -1);
  };

  describe('alert rules (infra/modules/alerts.bicep)', () => {
    const rules = (snapshot: Snapshot) => ofType(snapshot, 'Microsoft.Insights/scheduledQueryRules');
    const queryOf = (rule: PredictedResource) =>
      (props(rule, 'criteria', 'allOf') as Array<{ query: string; threshold: number }>)[0]!;

    it('deploys the four an operator needs, each a log query over Application Insights every 5 minutes', () => {
      const insights = one(derived, 'Microsoft.Insights/components');
      const found = rules(derived);
      expect(found).toHaveLength(4);
      for (const rule of found) {
        expect(rule.kind, rule.name).toBe('LogAlert');
        expect(props(rule, 'scopes'), rule.name).toEqual([insights.id]);
        expect(props(rule, 'evaluationFrequency'), rule.name).toBe('PT5M');
        expect(props(rule, 'enabled'), rule.name).toBe(true);
      }
      const byName = Object.fromEntries(found.map((rule) => [rule.name.split('-').slice(-2).join('-'), queryOf(rule)]));
      expect(byName['health-failing']).toMatchObject({
        threshold: 0,
        query: expect.stringContaining('name == "health" and resultCode == "503"'),
      });
      expect(byName['webhook-5xx']).toMatchObject({
        threshold: 5,
        query: expect.stringContaining('url has "/api/twilio/"'),
      });
      expect(byName['poison-queue']!.query).toContain('poison');
      expect(byName['twilio-errors']!.query).toContain(`startswith "${DEBUGGER_LOG_PREFIX}"`);
    });

    it('notifies an email through one action group when alertEmail is set, and no one otherwise', () => {
      expect(ofType(derived, 'Microsoft.Insights/actionGroups')).toEqual([]);
      for (const rule of rules(derived)) expect(props(rule, 'actions', 'actionGroups')).toEqual([]);
      const group = one(custom, 'Microsoft.Insights/actionGroups');
      expect(props(group, 'emailReceivers')).toEqual([expect.objectContaining({ emailAddress: 'ops@example.com' })]);
      for (const rule of rules(custom)) expect(props(rule, 'actions', 'actionGroups')).toEqual([group.id]);
    });

    it('passes the retention settings to the app', () => {
      expect(appSettings(derived)).toMatchObject({ RECORD_RETENTION_DAYS: '400', RECORDING_RETENTION_DAYS: '' });
      expect(appSettings(custom)).toMatchObject({ RECORD_RETENTION_DAYS: '90', RECORDING_RETENTION_DAYS: '30' });
    });
  });

  describe('the compiler', () => {
    it.runIf(onCi)(`is the version pinned in .ci/bicep-version (${PINNED_VERSION})`, () => {
      // The template records the compiler that built it, e.g. 0.49.2.45890.
      expect(template.metadata?._generator?.version).toMatch(new RegExp(`^${PINNED_VERSION.replace(/\./g, '\\.')}\\.`));
    });

    it('builds the template with no error and no warning', () => {
      expect(buildDiagnostics).toEqual([]);
    });

    it('lints it with no error and no warning', () => {
      expect(lintDiagnostics).toEqual([]);
    });

    it(
      'does report a property the resource type does not have, so the checks above can fail',
      async () => {
        const broken = join(ROOT, 'test', 'infra', 'fixtures', 'unknown-property.bicep');
        const { diagnostics } = await bicep.build(broken);
        expect(diagnostics.map((d) => d.code)).toContain('BCP037');
      },
      COMPILE_TIMEOUT,
    );

    it(
      'knows every rule bicepconfig.json sets, and reports each at the level it sets',
      async () => {
        const config = JSON.parse(readFileSync(join(INFRA, 'bicepconfig.json'), 'utf8')) as {
          analyzers: { core: { rules: Record<string, { level: string }> } };
        };
        const rules = Object.entries(config.analyzers.core.rules);
        expect(rules.length).toBeGreaterThan(0);
        // A rule name the compiler does not know is ignored without a word, so each rule is broken once on purpose.
        const fixture = join(ROOT, 'test', 'infra', 'fixtures', 'lint-rules.bicep');
        const reported = await bicep.lint(fixture, join(INFRA, 'bicepconfig.json'));
        for (const [rule, { level }] of rules)
          expect(
            reported.filter((d) => d.code === rule).map((d) => d.level),
            rule,
          ).toContain(level);
      },
      COMPILE_TIMEOUT,
    );
  });

  describe('parameters and outputs (ARM JSON)', () => {
    const parameters = () => template.parameters ?? {};
    const outputs = () => template.outputs ?? {};

    it('describes every parameter of main.bicep and of each module', () => {
      for (const t of templatesIn(template)) {
        for (const [name, parameter] of Object.entries(t.parameters ?? {}))
          expect(parameter.metadata?.description, name).toBeTruthy();
      }
    });

    it('takes the auth token as a secure string with no default', () => {
      expect(parameters().twilioAuthToken).toMatchObject({ type: 'securestring' });
      expect(parameters().twilioAuthToken).not.toHaveProperty('defaultValue');
    });

    it("defaults the greeting and the reply to the code's defaults", () => {
      expect(parameters().voiceGreeting?.defaultValue).toBe(DEFAULT_VOICE_GREETING);
      expect(parameters().smsReply?.defaultValue).toBe(DEFAULT_SMS_REPLY);
    });

    it('names outputs like environment variables (azd stores them so), none like a parameter', () => {
      const names = Object.keys(outputs());
      expect(names.length).toBeGreaterThan(0);
      const params = new Set(Object.keys(parameters()).map((name) => name.toLowerCase()));
      for (const name of names) {
        expect(name).toMatch(/^[A-Z][A-Z0-9_]*$/);
        expect(params.has(name.toLowerCase()), name).toBe(false);
        expect(outputs()[name]?.metadata?.description, name).toBeTruthy();
      }
    });

    it('main.parameters.json (azd) names only parameters of main.bicep, every required one but the token, and never the token', () => {
      const file = readFileSync(join(INFRA, 'main.parameters.json'), 'utf8');
      const names = Object.keys((JSON.parse(file) as { parameters: Record<string, unknown> }).parameters);
      expect(Object.keys(parameters())).toEqual(expect.arrayContaining(names));
      const requiredNames = Object.entries(parameters())
        .filter(([, p]) => !('defaultValue' in p))
        .map(([name]) => name);
      expect(names).toEqual(expect.arrayContaining(requiredNames.filter((name) => name !== 'twilioAuthToken')));
      expect(file).not.toMatch(/twilioAuthToken/i);
    });
  });

  describe('what a deployment creates (bicep snapshot)', () => {
    const namedTypes = {
      functionAppName: 'Microsoft.Web/sites',
      functionPlanName: 'Microsoft.Web/serverfarms',
      storageAccountName: 'Microsoft.Storage/storageAccounts',
      keyVaultName: 'Microsoft.KeyVault/vaults',
      identityName: 'Microsoft.ManagedIdentity/userAssignedIdentities',
      logAnalyticsName: 'Microsoft.OperationalInsights/workspaces',
      applicationInsightsName: 'Microsoft.Insights/components',
    };

    it('names every resource from one token unique to the resource group and environment, or from its override parameter', () => {
      const names = Object.values(namedTypes).map((type) => one(derived, type).name);
      const token = /^st([a-z0-9]{13})$/.exec(one(derived, 'Microsoft.Storage/storageAccounts').name)?.[1];
      expect(token).toBeDefined();
      for (const name of names) expect(name).toMatch(new RegExp(`^[a-z]+-?${token}$`));
      for (const [param, type] of Object.entries(namedTypes))
        expect(one(custom, type).name, param).toBe(overrides[param as keyof typeof overrides]);
    });

    it('puts every resource in the deployment location and tags it with the environment', () => {
      for (const resource of derived.predictedResources) {
        if (resource.location !== undefined) expect(resource.location, resource.name).toBe(TEST_SCOPE.location);
        if (resource.tags !== undefined)
          expect(resource.tags['azd-env-name'], resource.name).toBe(required.environmentName);
      }
    });

    it('runs the app on a Linux Flex Consumption plan with Node.js 22, HTTPS only, TLS 1.2 and no FTP', () => {
      const plan = one(derived, 'Microsoft.Web/serverfarms');
      expect(plan.sku).toEqual({ name: 'FC1', tier: 'FlexConsumption' });
      expect(props(plan, 'reserved')).toBe(true);
      const site = one(derived, 'Microsoft.Web/sites');
      expect(site.kind).toBe('functionapp,linux');
      expect(props(site, 'serverFarmId')).toBe(plan.id);
      expect(props(site, 'httpsOnly')).toBe(true);
      expect(props(site, 'siteConfig')).toMatchObject({
        minTlsVersion: '1.2',
        scmMinTlsVersion: '1.2',
        ftpsState: 'Disabled',
      });
      expect(props(site, 'functionAppConfig', 'runtime')).toEqual({ name: 'node', version: '22' });
      const ftp = one(derived, 'Microsoft.Web/sites/basicPublishingCredentialsPolicies');
      expect([ftp.name, props(ftp, 'allow')]).toEqual([`${site.name}/ftp`, false]);
    });

    it('scales as the parameters say, with no always-ready instance unless asked and then only for the http group', () => {
      expect(props(one(derived, 'Microsoft.Web/sites'), 'functionAppConfig', 'scaleAndConcurrency')).toEqual({
        instanceMemoryMB: 2048,
        maximumInstanceCount: 40,
        alwaysReady: [],
      });
      expect(props(one(custom, 'Microsoft.Web/sites'), 'functionAppConfig', 'scaleAndConcurrency')).toEqual({
        instanceMemoryMB: 4096,
        maximumInstanceCount: 100,
        alwaysReady: [{ name: 'http', instanceCount: 1 }],
      });
    });

    it('deploys the package from a blob container of the storage account, read with the user-assigned identity', () => {
      const site = one(derived, 'Microsoft.Web/sites');
      const identity = one(derived, 'Microsoft.ManagedIdentity/userAssignedIdentities');
      const account = one(derived, 'Microsoft.Storage/storageAccounts');
      const container = one(derived, 'Microsoft.Storage/storageAccounts/blobServices/containers');
      expect(site.identity).toEqual({ type: 'UserAssigned', userAssignedIdentities: { [identity.id]: {} } });
      expect(container.name.startsWith(`${account.name}/default/`)).toBe(true);
      expect(props(container, 'publicAccess')).toBe('None');
      const storage = props(site, 'functionAppConfig', 'deployment', 'storage') as Record<string, unknown>;
      expect(storage.type).toBe('blobContainer');
      expect(expression(storage.value)).toBe(
        `format('{0}{1}', reference('${account.id}', '${account.apiVersion}').primaryEndpoints.blob, '${container.name.split('/')[2]}')`,
      );
      expect(storage.authentication).toEqual({
        type: 'UserAssignedIdentity',
        userAssignedIdentityResourceId: identity.id,
      });
    });

    it('declares the tables the app uses, so the first request in Azure does not create them', () => {
      const account = one(derived, 'Microsoft.Storage/storageAccounts');
      const tables = ofType(derived, 'Microsoft.Storage/storageAccounts/tableServices/tables').map((t) => t.name);
      expect(tables.sort()).toEqual(
        [RECORDS_TABLE, IDEMPOTENCY_TABLE, CAMPAIGNS_TABLE, CONVERSATIONS_TABLE]
          .map((table) => `${account.name}/default/${table}`)
          .sort(),
      );
    });

    it('declares every queue of lib/config/queues.ts with its poison queue, so both exist and can be watched', () => {
      const account = one(derived, 'Microsoft.Storage/storageAccounts');
      const queues = ofType(derived, 'Microsoft.Storage/storageAccounts/queueServices/queues').map((q) => q.name);
      expect(queues.sort()).toEqual(
        Object.values(QUEUES)
          .flatMap((queue) => [queue, poisonQueue(queue)])
          .map((queue) => `${account.name}/default/${queue}`)
          .sort(),
      );
    });

    it('turns shared keys and public blobs off in storage, and local auth off in monitoring', () => {
      expect(props(one(derived, 'Microsoft.Storage/storageAccounts'))).toMatchObject({
        allowSharedKeyAccess: false,
        allowBlobPublicAccess: false,
        minimumTlsVersion: 'TLS1_2',
        supportsHttpsTrafficOnly: true,
      });
      expect(props(one(derived, 'Microsoft.Insights/components'), 'DisableLocalAuth')).toBe(true);
      expect(props(one(derived, 'Microsoft.OperationalInsights/workspaces'), 'features')).toEqual({
        disableLocalAuth: true,
      });
    });

    it('keeps the token in a Key Vault with RBAC authorization and soft delete, and purge protection only when asked', () => {
      const vault = props(one(derived, 'Microsoft.KeyVault/vaults')) as Record<string, unknown>;
      expect(vault).toMatchObject({
        enableRbacAuthorization: true,
        enableSoftDelete: true,
        softDeleteRetentionInDays: 7,
        tenantId: TEST_SCOPE.tenantId,
      });
      // The API refuses enablePurgeProtection: false; "off" is the property left out (null).
      expect(vault.enablePurgeProtection).toBeNull();
      expect(props(one(custom, 'Microsoft.KeyVault/vaults'), 'enablePurgeProtection')).toBe(true);
    });

    describe('role assignments', () => {
      const assignments = (snapshot: Snapshot) =>
        ofType(snapshot, 'Microsoft.Authorization/roleAssignments').map((assignment) => {
          // Either `[extensionResourceId('<scope>', ...)]` or `<scope>/providers/Microsoft.Authorization/roleAssignments/<guid>`.
          const scope =
            /^\[extensionResourceId\('([^']+)'/.exec(assignment.id)?.[1] ??
            assignment.id.replace(/\/providers\/Microsoft\.Authorization\/roleAssignments\/[^/]+$/, '');
          const { roleDefinitionId, principalId, principalType } = props(assignment) as Record<string, string>;
          const role = roleDefinitionId!.split('/').at(-1)!;
          expect(roleDefinitionId).toBe(
            `/subscriptions/${TEST_SCOPE.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${role}`,
          );
          return { name: assignment.name, scope, role, principalId: principalId!, principalType };
        });
      const appPrincipal = (snapshot: Snapshot) => {
        const identity = one(snapshot, 'Microsoft.ManagedIdentity/userAssignedIdentities');
        return `[reference('${identity.id}', '${identity.apiVersion}').principalId]`;
      };

      describe('FLOW_HTTP_SECRET, the flow http signing secret (issue 20)', () => {
        const flowSecrets = (snapshot: Snapshot) =>
          ofType(snapshot, 'Microsoft.KeyVault/vaults/secrets').filter((secret) =>
            secret.name.endsWith(`/${snapshot.outputs.FLOW_HTTP_SECRET_NAME as string}`),
          );

        it('without flowHttpSecret: no secret, the setting empty (unset for the app), no role for it', () => {
          expect(flowSecrets(derived)).toEqual([]);
          // Listed, or a deployment would not remove one set before; empty is unset for the app.
          expect(appSettings(derived).FLOW_HTTP_SECRET).toBe('');
          expect(assignments(derived).filter((a) => a.scope.includes('/secrets/flow-http-secret'))).toEqual([]);
        });

        it('with it: a Key Vault secret of its own, read by the app as a versionless Key Vault reference with its identity', () => {
          const [secret] = flowSecrets(custom);
          expect(custom.outputs.FLOW_HTTP_SECRET_NAME).toBe('flow-http-secret');
          expect(secret?.id).toBe(
            idOf('Microsoft.KeyVault/vaults', `${overrides.keyVaultName}/secrets/flow-http-secret`),
          );
          expect(props(secret!, 'value')).toBe("[parameters('flowHttpSecret')]");
          const setting = appSettings(custom).FLOW_HTTP_SECRET;
          // Worked out at deployment: the secret's versionless secretUri, inside a Key Vault reference.
          expect(setting).toContain("format('@Microsoft.KeyVault(SecretUri={0})'");
          expect(setting).toContain("reference(resourceId('Microsoft.KeyVault/vaults/secrets'");
          expect(setting).toContain(').secretUri');
          expect(setting).not.toContain('secretUriWithVersion');
          const reads = assignments(custom).filter(
            (a) => a.scope === secret!.id && a.principalId === appPrincipal(custom),
          );
          expect(reads.map(({ role, principalType }) => ({ role, principalType }))).toEqual([
            { role: ROLES.keyVaultSecretsUser, principalType: 'ServicePrincipal' },
          ]);
        });

        it('lands in its Key Vault secret and nowhere else: the rest only asks whether it is empty', () => {
          const json = JSON.stringify(custom).replaceAll("empty(parameters('flowHttpSecret'))", 'EMPTY');
          expect(json.split("parameters('flowHttpSecret')")).toHaveLength(2);
          expect(JSON.stringify(custom)).not.toContain(SNAPSHOT_FLOW_SECRET);
          expect(JSON.stringify(custom.outputs)).not.toContain('flowHttpSecret');
        });
      });

      it("gives the app's identity each role it needs, each on the narrowest scope, and no other", () => {
        const account = one(derived, 'Microsoft.Storage/storageAccounts').id;
        const secret = one(derived, 'Microsoft.KeyVault/vaults/secrets');
        const insights = one(derived, 'Microsoft.Insights/components').id;
        const granted = assignments(derived).filter((a) => a.principalId === appPrincipal(derived));
        expect(granted.map(({ scope, role, principalType }) => ({ scope, role, principalType }))).toEqual(
          expect.arrayContaining([
            ...dataAccess(account, insights, 'ServicePrincipal'),
            { scope: secret.id, role: ROLES.keyVaultSecretsUser, principalType: 'ServicePrincipal' },
          ]),
        );
        expect(granted).toHaveLength(5);
      });

      it('names each assignment guid(scope, principal, role), so a redeployment finds the one it made', () => {
        for (const a of assignments(derived).filter((a) => a.principalId === appPrincipal(derived))) {
          expect(a.name).toBe(`[guid('${a.scope}', ${expression(a.principalId)}, '${a.role}')]`);
        }
        const again = assignments(derived).filter((a) => a.principalId === USER_PRINCIPAL);
        expect(new Set(again.map((a) => a.name)).size).toBe(again.length);
        for (const a of again)
          expect(a.name).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      });

      it('gives the deploying user the same data access plus Key Vault Secrets Officer on the vault, and nothing when principalId is empty', () => {
        const account = one(derived, 'Microsoft.Storage/storageAccounts').id;
        const vault = one(derived, 'Microsoft.KeyVault/vaults').id;
        const insights = one(derived, 'Microsoft.Insights/components').id;
        const user = assignments(derived).filter((a) => a.principalId === USER_PRINCIPAL);
        expect(user.map(({ scope, role, principalType }) => ({ scope, role, principalType }))).toEqual(
          expect.arrayContaining([
            ...dataAccess(account, insights, 'User'),
            { scope: vault, role: ROLES.keyVaultSecretsOfficer, principalType: 'User' },
          ]),
        );
        expect(user).toHaveLength(5);
        expect(assignments(custom).filter((a) => a.principalId !== appPrincipal(custom))).toEqual([]);
      });
    });

    describe('app settings agree with the settings schema (lib/config/settings.ts)', () => {
      const schema = settingsTable();
      const named = (requirement: string) => schema.filter((s) => s.requirement === requirement).map((s) => s.name);
      /** Settings the platform reads (telemetry), not the app's code. Storage's are all in the schema, so the README lists them. */
      const platformOwn = (name: string) => /^APPLICATIONINSIGHTS_/.test(name);

      it('sets every setting required always or in Azure', () => {
        expect(Object.keys(appSettings(derived))).toEqual(
          expect.arrayContaining([...named('always'), ...named('azure')]),
        );
      });

      it('reaches storage by identity: service URIs, managedidentity and the client ID, never a connection string', () => {
        const settings = appSettings(derived);
        const account = one(derived, 'Microsoft.Storage/storageAccounts');
        const identity = one(derived, 'Microsoft.ManagedIdentity/userAssignedIdentities');
        const clientId = `reference('${identity.id}', '${identity.apiVersion}').clientId`;
        expect(settings).not.toHaveProperty('AzureWebJobsStorage');
        expect(named('storage')).toContain('AzureWebJobsStorage__tableServiceUri');
        expect(named('storage')).toContain('AzureWebJobsStorage__queueServiceUri');
        for (const service of ['blob', 'queue', 'table']) {
          expect(settings[`AzureWebJobsStorage__${service}ServiceUri`], service).toBe(
            `[reference('${account.id}', '${account.apiVersion}').primaryEndpoints.${service}]`,
          );
        }
        expect(settings.AzureWebJobsStorage__credential).toBe('managedidentity');
        expect(settings.AzureWebJobsStorage__clientId).toBe(`[${clientId}]`);
        expect(settings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING).toBe(
          `[format('ClientId={0};Authorization=AAD', ${clientId})]`,
        );
      });

      it("sets nothing the code does not read, apart from the platform's own settings", () => {
        const known = new Set<string>(schema.map((s) => s.name));
        for (const name of Object.keys(appSettings(derived)))
          expect(known.has(name) || platformOwn(name), name).toBe(true);
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
        for (const name of forbidden) expect(appSettings(derived), name).not.toHaveProperty(name);
      });

      it('sets the Twilio account, number, greeting, reply and flow file from the parameters', () => {
        expect(appSettings(derived)).toMatchObject({
          TWILIO_ACCOUNT_SID: required.twilioAccountSid,
          TWILIO_PHONE_NUMBER: required.twilioPhoneNumber,
          VOICE_GREETING: DEFAULT_VOICE_GREETING,
          SMS_REPLY: DEFAULT_SMS_REPLY,
          PHONE_FLOWS: 'flows.json',
        });
        expect(appSettings(custom)).toMatchObject({
          VOICE_GREETING: 'Custom greeting',
          SMS_REPLY: 'Custom reply',
          PHONE_FLOWS: 'flows/examples/ivr.json',
        });
      });

      it("sets PUBLIC_BASE_URL to the app's own https origin, the BASE_URL output", () => {
        const site = one(derived, 'Microsoft.Web/sites');
        expect(appSettings(derived).PUBLIC_BASE_URL).toBe(
          `[format('https://{0}', reference('${site.id}', '${site.apiVersion}').defaultHostName)]`,
        );
        expect(derived.outputs.BASE_URL).toBe(appSettings(derived).PUBLIC_BASE_URL);
      });
    });

    describe('the Twilio auth token', () => {
      it('lands in the Key Vault secret and nowhere else: no app setting, no other resource, no output', () => {
        // The snapshot never evaluates a secure parameter: each use stays `[parameters('...')]`.
        const uses = derived.predictedResources.filter((r) => JSON.stringify(r).includes("parameters('"));
        expect(uses.map((r) => r.type)).toEqual(['Microsoft.KeyVault/vaults/secrets']);
        expect(props(uses[0]!, 'value')).toBe("[parameters('twilioAuthToken')]");
        expect(JSON.stringify(derived.outputs)).not.toContain("parameters('");
        expect(JSON.stringify(derived)).not.toContain(SNAPSHOT_TOKEN);
      });

      it('reaches the app as a Key Vault reference to the versionless secret URI, resolved with the identity', () => {
        const secret = one(derived, 'Microsoft.KeyVault/vaults/secrets');
        const identity = one(derived, 'Microsoft.ManagedIdentity/userAssignedIdentities');
        expect(secret.id).toBe(
          idOf(
            'Microsoft.KeyVault/vaults',
            `${one(derived, 'Microsoft.KeyVault/vaults').name}/secrets/twilio-auth-token`,
          ),
        );
        // secretUri has no version (secretUriWithVersion would pin one): a new version needs no redeployment.
        expect(appSettings(derived).TWILIO_AUTH_TOKEN).toBe(
          `[format('@Microsoft.KeyVault(SecretUri={0})', reference('${secret.id}', '${secret.apiVersion}').secretUri)]`,
        );
        expect(props(one(derived, 'Microsoft.Web/sites'), 'keyVaultReferenceIdentity')).toBe(identity.id);
      });
    });

    describe('outputs', () => {
      it('give every URL a Twilio number needs: webhooks, fallbacks and the status callback, under BASE_URL', () => {
        const base = expression(derived.outputs.BASE_URL);
        const urls = {
          VOICE_WEBHOOK_URL: routePath('voiceWebhook'),
          VOICE_FALLBACK_URL: routePath('voiceFallback'),
          SMS_WEBHOOK_URL: routePath('smsWebhook'),
          SMS_FALLBACK_URL: routePath('smsFallback'),
          STATUS_CALLBACK_URL: routePath('statusCallback'),
        };
        for (const [output, path] of Object.entries(urls))
          expect(derived.outputs[output], output).toBe(`[format('{0}${path}', ${base})]`);
      });

      it('name the resources the deploy steps work with', () => {
        expect(derived.outputs).toMatchObject({
          FUNCTION_APP_NAME: one(derived, 'Microsoft.Web/sites').name,
          KEY_VAULT_NAME: one(derived, 'Microsoft.KeyVault/vaults').name,
          TWILIO_AUTH_TOKEN_SECRET_NAME: one(derived, 'Microsoft.KeyVault/vaults/secrets').name.split('/')[1],
          APPLICATION_INSIGHTS_NAME: one(derived, 'Microsoft.Insights/components').name,
        });
        expect(custom.outputs.FUNCTION_APP_NAME).toBe(overrides.functionAppName);
      });
    });

    it('azure.yaml deploys the package `npm run package` builds to the app the template tags for it', () => {
      const yaml = readFileSync(join(ROOT, 'azure.yaml'), 'utf8');
      const service = /^services:\n {2}(\w+):\n((?: {4}.*\n|\s*\n)*)/m.exec(yaml);
      expect(service, 'one service under services:').not.toBeNull();
      expect(one(derived, 'Microsoft.Web/sites').tags?.['azd-service-name']).toBe(service![1]);
      const body = service![2]!;
      expect(body).toMatch(/^ {4}project: \.$/m);
      expect(body).toMatch(/^ {4}dist: \.artifacts\/app$/m);
      expect(body).toMatch(/^ {4}host: function$/m);
      expect(body).toMatch(/^ {4}language: ts$/m);
      expect(body).toMatch(/^ {4}remoteBuild: false$/m);
      expect(yaml).toMatch(/^ {2}path: infra$/m);
    });
  });
});
