/** How the local hosts (functionsHost.ts, queueHost.ts, timerHost.ts) write a line of a function's log. */
export type LogLine = (level: string, functionName: string, message: string) => void;
