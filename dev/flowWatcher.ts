/**
 * npm start's eye on the flow file: when it changes, it is checked and, if valid, served from
 * the next request on; an invalid file is refused with its problems printed, and the last good
 * flows stay. The folder is watched, not the file, since editors often save by renaming.
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Settings } from '../lib/config/settings';
import { lineNow } from '../lib/flows/hours';
import { describeFlows, FlowFileError, flowFileLocation, reloadFlows } from '../lib/flows/load';

/** Saves come in bursts (write, then rename): one check per burst. */
const SETTLE_MS = 150;

export function watchFlowFile(
  settings: Pick<Settings, 'PHONE_FLOWS'>,
  root: string,
  print: { log(line: string): void; warn(line: string): void },
): FSWatcher {
  const location = flowFileLocation(settings, root);
  let timer: NodeJS.Timeout | undefined;
  const check = () => {
    try {
      const flows = reloadFlows(settings, root);
      print.log(`Flows:   reloaded ${describeFlows(settings, root)}`);
      print.log(`Line:    ${lineNow(flows.hours, new Date()).summary}`);
    } catch (error) {
      if (!(error instanceof FlowFileError)) throw error;
      print.warn(
        [
          `Flows:   ${location.shown} changed but is not valid; still serving the last good flows:`,
          ...error.lines.map((line) => `  ${line}`),
        ].join('\n'),
      );
    }
  };
  const watcher = watch(dirname(location.path), (_event, name) => {
    if (name !== basename(location.path)) return;
    clearTimeout(timer);
    timer = setTimeout(check, SETTLE_MS);
  });
  watcher.on('close', () => clearTimeout(timer));
  return watcher;
}
