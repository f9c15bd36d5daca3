/**
 * Output for people and for scripts: aligned columns, colour only where the terminal shows
 * it (NO_COLOR turns it off, FORCE_COLOR on), and JSON with --json.
 */

export interface OutputStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface Io {
  stdout: OutputStream;
  stderr: OutputStream;
  env: Record<string, string | undefined>;
  /** Where local.settings.json and .local/ are looked up. */
  root: string;
}

/** The process's own streams and environment, rooted at the project. */
export const processIo = (root: string): Io => ({
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  root,
});

export function colorEnabled(stream: OutputStream, env: Record<string, string | undefined>): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

export type Paint = (text: string) => string;
export interface Palette {
  bold: Paint;
  dim: Paint;
  red: Paint;
  green: Paint;
  yellow: Paint;
  cyan: Paint;
}

const sgr =
  (open: number, close: number): Paint =>
  (text) =>
    `\u001b[${open}m${text}\u001b[${close}m`;
const plain: Paint = (text) => text;

export function palette(enabled: boolean): Palette {
  if (!enabled) return { bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain };
  return {
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    cyan: sgr(36, 39),
  };
}

// eslint-disable-next-line no-control-regex -- ANSI escape sequences start with ESC
const ANSI = /\u001b\[[0-9;]*m/g;

/** Width as shown on screen: colour codes take no room. */
export const visibleWidth = (text: string) => [...text.replace(ANSI, '')].length;

const padEnd = (text: string, width: number) => text + ' '.repeat(Math.max(0, width - visibleWidth(text)));

/** Rows as lines with every column but the last padded to its widest cell. */
export function alignRows(
  rows: string[][],
  { indent = '', gap = '  ' }: { indent?: string; gap?: string } = {},
): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, column) => {
      widths[column] = Math.max(widths[column] ?? 0, visibleWidth(cell));
    });
  }
  return rows.map(
    (row) =>
      indent +
      row
        .map((cell, column) => (column === row.length - 1 ? cell : padEnd(cell, widths[column] ?? 0)))
        .join(gap)
        .trimEnd(),
  );
}

/** A command's view of its output: lines for people, one JSON document for scripts. */
export class Printer {
  readonly paint: Palette;

  constructor(
    private readonly io: Io,
    readonly json: boolean,
  ) {
    this.paint = palette(!json && colorEnabled(io.stdout, io.env));
  }

  line(text = ''): void {
    if (!this.json) this.io.stdout.write(`${text}\n`);
  }

  lines(lines: string[]): void {
    for (const text of lines) this.line(text);
  }

  /** Problems go to stderr in both modes, so a script's stdout stays one JSON document. */
  error(text: string): void {
    const paint = palette(colorEnabled(this.io.stderr, this.io.env));
    this.io.stderr.write(`${paint.red('error')} ${text}\n`);
  }

  warn(text: string): void {
    const paint = palette(colorEnabled(this.io.stderr, this.io.env));
    this.io.stderr.write(`${paint.yellow('warning')} ${text}\n`);
  }

  document(value: unknown): void {
    if (this.json) this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }
}
