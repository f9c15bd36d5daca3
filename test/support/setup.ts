import { afterAll, expect } from 'vitest';
import { installCoreApi } from '../../dev/functionsHost';
import { capturedLogs as captured } from './logCapture';
import { TEST_AUTH_TOKEN } from './settings';

// Functions register through the local host's core API, as they do in the Functions worker.
installCoreApi();

// Everything written to the console or the process streams during a test file, to prove
// that the auth token never reaches a log line.
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    captured.push(String(chunk));
    return write(chunk, ...rest);
  }) as typeof stream.write;
}
for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  const original = console[method].bind(console);
  console[method] = (...args: unknown[]) => {
    captured.push(args.map(String).join(' '));
    original(...args);
  };
}

afterAll(() => {
  expect(captured.join('\n')).not.toContain(TEST_AUTH_TOKEN);
});
