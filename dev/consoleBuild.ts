/**
 * The console page, built from console/ into one HTML file with its script and style inside:
 * by `npm start` into dist/console/ and by `npm run package` into the package's dist/console/,
 * where lib/console/page.ts serves it. No build step for the user; the webhook path never loads it.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, transform } from 'esbuild';
import { CONSOLE_PAGE } from '../lib/console/page';
import { findProjectRoot } from './cli/settings';

const ROOT = findProjectRoot(__dirname);
const SOURCE = join(ROOT, 'console');

export interface BuiltConsole {
  file: string;
  /** The page's size, and gzipped as a browser fetches it. */
  bytes: number;
  gzipBytes: number;
}

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** The local emulator the page's phone talks to (console/phone.ts): npm start's page only, never the package's. */
export interface ConsolePhone {
  url: string;
  token: string;
}

/**
 * Writes `<root>/dist/console/index.html` (root: the repository, or the package's folder). With
 * `phone` the page has the phone and may talk to that emulator; without it (the package) the
 * phone's code is not in the bundle at all.
 */
export async function buildConsole(
  root: string = ROOT,
  { phone }: { phone?: ConsolePhone } = {},
): Promise<BuiltConsole> {
  const bundled = await build({
    define: { __PHONE__: phone ? JSON.stringify({ url: phone.url, token: phone.token }) : 'null' },
    entryPoints: [join(SOURCE, 'main.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    write: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  // Inside <script>, "</script" would end it; in a script it can only be in a string, where "<\/" means the same.
  const script = `\n${bundled.outputFiles[0]!.text.replace(/<\/(script)/gi, '<\\/$1')}`;
  const style = `\n${(await transform(readFileSync(join(SOURCE, 'style.css'), 'utf8'), { loader: 'css', minify: true })).code}`;
  // Only this page's own script and style run; it talks to its own app alone.
  const policy = [
    "default-src 'none'",
    `script-src ${sha256(script)}`,
    `style-src ${sha256(style)}`,
    `connect-src 'self'${phone ? ` ${new URL(phone.url).origin}` : ''}`,
    "media-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const html = readFileSync(join(SOURCE, 'index.html'), 'utf8')
    .replace('CONTENT_SECURITY_POLICY', policy)
    .replace(/\s*\/\* STYLE \*\/\s*/, () => style)
    .replace(/\s*\/\* SCRIPT \*\/\s*/, () => script);
  const file = join(root, CONSOLE_PAGE);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, html);
  return { file, bytes: Buffer.byteLength(html), gzipBytes: gzipSync(html).length };
}

if (require.main === module) {
  buildConsole()
    .then(({ file, bytes, gzipBytes }) =>
      console.log(`${file}: ${(bytes / 1024).toFixed(1)} KiB, ${(gzipBytes / 1024).toFixed(1)} KiB gzipped`),
    )
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    });
}
