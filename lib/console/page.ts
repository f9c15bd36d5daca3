/**
 * GET /api/console: the console, one HTML file with its script and style inside (built from
 * console/ by dev/consoleBuild.ts into dist/console/ at npm start and npm run package). One
 * file, because in Azure every request to it needs the function key: the page is opened with
 * ?code=… and then sends the key itself on each API request it makes.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HttpHandler } from '@azure/functions';
import { AppError } from '../errors';
import { handle } from '../http/handle';
import { appRoot } from '../flows/load';

/** Where the built page is, under the app root, in the repository and in the package alike. */
export const CONSOLE_PAGE = join('dist', 'console', 'index.html');

export const consolePage: HttpHandler = handle(async () => {
  let html: Buffer;
  try {
    html = await readFile(join(appRoot(), CONSOLE_PAGE));
  } catch {
    throw new AppError(503, 'The console is not built: npm start and npm run package build it', {
      log: 'warn',
      logMessage: `${CONSOLE_PAGE} is missing under ${appRoot()}`,
    });
  }
  return {
    status: 200,
    body: html,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Content-Security-Policy': "frame-ancestors 'none'",
    },
  };
});
