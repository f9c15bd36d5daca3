/**
 * The real Bicep compiler, for tests that build, lint and evaluate the templates in infra/.
 * It is looked for where people and CI have it: BICEP_PATH, then PATH, then where
 * `az bicep install` puts it, then where `.ci/install-bicep` (run by `.ci/run`) links it.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../support/appHost';

export const INFRA = join(ROOT, 'infra');
export const MAIN = join(INFRA, 'main.bicep');
/** The one place the project pins the compiler's version; `.ci/install-bicep` reads it too. */
export const PINNED_VERSION = readFileSync(join(ROOT, '.ci', 'bicep-version'), 'utf8').trim();

export const HOW_TO_GET_BICEP =
  'No Bicep CLI found (BICEP_PATH, PATH, ~/.azure/bin/bicep, .local/tools/bin/bicep). ' +
  `Get the pinned ${PINNED_VERSION} with \`bash .ci/install-bicep\` (needs the .NET SDK), ` +
  'or run `az bicep install`, or set BICEP_PATH to a bicep executable.';

const isExecutable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** Where the compiler is, or undefined. A BICEP_PATH that names no executable is an error, not a skip. */
export function findBicep(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.BICEP_PATH) {
    if (!isExecutable(env.BICEP_PATH)) throw new Error(`BICEP_PATH=${env.BICEP_PATH} is not an executable file`);
    return env.BICEP_PATH;
  }
  const onPath = (env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, 'bicep'));
  const candidates = [
    ...onPath,
    join(homedir(), '.azure', 'bin', 'bicep'),
    join(ROOT, '.local', 'tools', 'bin', 'bicep'),
  ];
  return candidates.find(isExecutable);
}

export interface Diagnostic {
  file: string;
  line: number;
  level: string;
  code: string;
  message: string;
}

interface Sarif {
  runs: {
    results: {
      ruleId: string;
      level: string;
      message: { text: string };
      locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[];
    }[];
  }[];
}

const run = promisify(execFile);

export class Bicep {
  constructor(readonly path: string) {}

  /** `bicep build`: the ARM JSON template and every diagnostic (SARIF on stderr). */
  async build(file = MAIN): Promise<{ template: ArmTemplate; diagnostics: Diagnostic[] }> {
    const dir = mkdtempSync(join(tmpdir(), 'bicep-build-'));
    try {
      const outfile = join(dir, 'main.json');
      const { stderr } = await this.exec(['build', file, '--outfile', outfile, '--diagnostics-format', 'sarif']);
      const diagnostics = fromSarif(stderr);
      return { template: JSON.parse(readFileSync(outfile, 'utf8')) as ArmTemplate, diagnostics };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** `bicep lint`: every diagnostic, the linter's rules as bicepconfig.json sets them (SARIF on stdout). */
  async lint(file = MAIN, config?: string): Promise<Diagnostic[]> {
    const { stdout } = await this.exec([
      'lint',
      file,
      '--diagnostics-format',
      'sarif',
      ...(config ? ['--config', config] : []),
    ]);
    return fromSarif(stdout);
  }

  /**
   * `bicep snapshot`: the compiled template evaluated for one set of parameters, as the
   * resources a deployment would create, with every expression that does not depend on the
   * deployment's results worked out (names, settings, role assignment scopes).
   */
  async snapshot(
    params: Record<string, string | number | boolean>,
    scope: DeploymentScope = TEST_SCOPE,
  ): Promise<Snapshot> {
    const dir = mkdtempSync(join(tmpdir(), 'bicep-snapshot-'));
    try {
      const paramsFile = join(dir, 'test.bicepparam');
      const lines = Object.entries(params).map(([name, value]) => `param ${name} = ${bicepLiteral(value)}`);
      writeFileSync(paramsFile, [`using '${relative(dir, MAIN)}'`, ...lines, ''].join('\n'));
      const options = [
        '--subscription-id',
        scope.subscriptionId,
        '--resource-group',
        scope.resourceGroup,
        '--tenant-id',
        scope.tenantId,
        '--location',
        scope.location,
      ];
      await this.exec(['snapshot', paramsFile, '--mode', 'overwrite', ...options]);
      return JSON.parse(readFileSync(join(dir, 'test.snapshot.json'), 'utf8')) as Snapshot;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Runs the compiler; a failing run (errors in the template) still yields its output. */
  private async exec(args: string[]): Promise<{ stdout: string; stderr: string }> {
    try {
      return await run(this.path, args, { maxBuffer: 64 * 1024 * 1024 });
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string };
      if (failed.stdout === undefined && failed.stderr === undefined) throw error;
      return { stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
    }
  }
}

function fromSarif(text: string): Diagnostic[] {
  let sarif: Sarif;
  try {
    sarif = JSON.parse(text) as Sarif;
  } catch {
    // Not the diagnostics: the compiler itself failed, and this is what it said.
    throw new Error(`bicep printed no SARIF diagnostics: ${text.slice(0, 2000) || '(nothing)'}`);
  }
  return sarif.runs.flatMap((r) =>
    r.results.map((result) => {
      const location = result.locations[0]?.physicalLocation;
      return {
        file: location ? relative(ROOT, new URL(location.artifactLocation.uri).pathname) : '',
        line: location?.region.startLine ?? 0,
        level: result.level,
        code: result.ruleId,
        message: result.message.text.replace(/ \[https:\/\/aka\.ms\/[^\]]+\]$/, ''),
      };
    }),
  );
}

const bicepLiteral = (value: string | number | boolean) =>
  typeof value === 'string' ? `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : String(value);

export interface DeploymentScope {
  subscriptionId: string;
  resourceGroup: string;
  tenantId: string;
  location: string;
}

export const TEST_SCOPE: DeploymentScope = {
  subscriptionId: '00000000-0000-0000-0000-00000000000a',
  resourceGroup: 'rg-twilio-test',
  tenantId: '00000000-0000-0000-0000-00000000000b',
  location: 'eastus2',
};

export interface ArmParameter {
  type: string;
  defaultValue?: unknown;
  allowedValues?: unknown[];
  metadata?: { description?: string };
}

export interface ArmTemplate {
  metadata?: { _generator?: { name: string; version: string } };
  parameters?: Record<string, ArmParameter>;
  outputs?: Record<string, { type: string; value: unknown; metadata?: { description?: string } }>;
  resources: ArmResource[] | Record<string, ArmResource>;
}

export interface ArmResource {
  type: string;
  apiVersion: string;
  name: string;
  properties?: { template?: ArmTemplate } & Record<string, unknown>;
}

/** A template and every template nested in it (each module compiles to a nested deployment). */
export function templatesIn(template: ArmTemplate): ArmTemplate[] {
  const resources = Array.isArray(template.resources) ? template.resources : Object.values(template.resources);
  const nested = resources.flatMap((resource) =>
    resource.type === 'Microsoft.Resources/deployments' && resource.properties?.template
      ? templatesIn(resource.properties.template)
      : [],
  );
  return [template, ...nested];
}

export interface PredictedResource {
  id: string;
  type: string;
  name: string;
  apiVersion: string;
  location?: string;
  kind?: string;
  tags?: Record<string, string>;
  sku?: Record<string, unknown>;
  identity?: { type: string; userAssignedIdentities?: Record<string, unknown> };
  properties?: Record<string, unknown>;
}

export interface Snapshot {
  predictedResources: PredictedResource[];
  diagnostics: unknown[];
  outputs: Record<string, unknown>;
}
