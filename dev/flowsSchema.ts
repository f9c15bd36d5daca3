/**
 * `npm run flows:schema`: writes flows.schema.json, the JSON Schema editors use for flow files,
 * from the zod schema in lib/flows/schema.ts (a test fails when the committed file is stale).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flowJsonSchema } from '../lib/flows/schema';
import { findProjectRoot } from './cli/settings';

export const FLOW_SCHEMA_FILE = 'flows.schema.json';

export const flowSchemaText = (): string => `${JSON.stringify(flowJsonSchema(), null, 2)}\n`;

if (require.main === module) {
  const file = join(findProjectRoot(__dirname), FLOW_SCHEMA_FILE);
  writeFileSync(file, flowSchemaText());
  console.log(`Wrote ${file}`);
}
