import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/appHost';
import { PINNED_VERSION } from './compiler';

const script = (name: string) => readFileSync(join(ROOT, '.ci', name), 'utf8');
/** A script's commands: no comments, no blank lines. */
const commandsOf = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));

describe('.ci/run', () => {
  it("obtains the pinned Bicep CLI, then ends with a clean install and exactly the README's test command", () => {
    const commands = commandsOf(script('run'));
    expect(commands.slice(-2)).toEqual(['npm ci', 'npm test']);
    expect(commands.findIndex((line) => line.includes('.ci/install-bicep'))).toBeLessThan(commands.indexOf('npm ci'));
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toMatch(/^npm test +#/m);
  });

  it("installs Debian's chromium with apt for the console's browser tests, unless it is there", () => {
    const commands = commandsOf(script('run'));
    expect(commands).toEqual(
      expect.arrayContaining([
        'if [ ! -x /usr/bin/chromium ]; then',
        'apt-get update',
        'DEBIAN_FRONTEND=noninteractive apt-get install -y chromium',
      ]),
    );
    expect(commands.indexOf('DEBIAN_FRONTEND=noninteractive apt-get install -y chromium')).toBeLessThan(
      commands.indexOf('npm ci'),
    );
  });

  it('pins one Bicep version, in .ci/bicep-version, which install-bicep reads and restores with dotnet from NuGet', () => {
    expect(PINNED_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    const install = script('install-bicep');
    expect(install).toContain('.ci/bicep-version');
    expect(install).toContain('Azure.Bicep.CommandLine.linux-x64');
    expect(install).toMatch(/dotnet restore /);
    expect(install).not.toMatch(/\d+\.\d+\.\d+/);
  });
});
