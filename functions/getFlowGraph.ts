import { app } from '@azure/functions';
import { ROUTES } from '../lib/config/routes';
import { loadedOnUse } from '../lib/http/handle';

/** GET /api/flows/graph: the flow file's steps and branches as nodes and edges (the console draws them). */
app.http('getFlowGraph', {
  methods: ['GET'],
  route: ROUTES.getFlowGraph,
  authLevel: 'function',
  handler: loadedOnUse(async () => (await import('../lib/console/flowGraph.js')).flowGraphReader),
});
