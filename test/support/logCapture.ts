/** Every log line of the current test file: console, process streams and invocation logs. */
export const capturedLogs: string[] = [];
