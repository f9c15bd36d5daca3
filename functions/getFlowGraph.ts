import { app } from '@azure/functions';
import { ROUTES } from '../lib/config/routes';
import { flowGraphReader } from '../lib/console/flowGraph';

/** GET /api/flows/graph: the flow file's steps and branches as nodes and edges (the console draws them). */
app.http('getFlowGraph', {
  methods: ['GET'],
  route: ROUTES.getFlowGraph,
  authLevel: 'function',
  handler: flowGraphReader,
});
