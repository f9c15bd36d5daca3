import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONSOLE_PAGE, consolePage } from '../../../lib/console/page';
import { invoke } from '../../support/invoke';
import { useSettings } from '../../support/settings';

const root = mkdtempSync(join(tmpdir(), 'console-page-'));
afterAll(() => {
  useSettings({});
  rmSync(root, { recursive: true, force: true });
});
const open = () => invoke(consolePage, { method: 'GET', url: 'http://127.0.0.1/api/console' });

describe('GET /api/console', () => {
  it('answers 503 saying how to build it when the page is not built, and names no path to the caller', async () => {
    useSettings({ AzureWebJobsScriptRoot: root });
    const answer = await open();
    expect(answer.response.status).toBe(503);
    expect(answer.text).toContain('npm start and npm run package build it');
    expect(answer.text).not.toContain(root);
  });

  it('serves the built page as HTML that is never cached nor framed', async () => {
    useSettings({ AzureWebJobsScriptRoot: root });
    mkdirSync(dirname(join(root, CONSOLE_PAGE)), { recursive: true });
    writeFileSync(join(root, CONSOLE_PAGE), '<!doctype html><title>Console</title>');
    const answer = await open();
    expect(answer.response.status).toBe(200);
    expect(answer.text).toBe('<!doctype html><title>Console</title>');
    const headers = Object.fromEntries(answer.response.headers);
    expect(headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "frame-ancestors 'none'",
    });
  });
});
