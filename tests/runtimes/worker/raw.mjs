// The same worker without a bundler: workerd loads the package's files straight from pkg/
// (Miniflare cannot resolve bare package names, so this imports the workerd entry by path).
import * as lib from '../../../pkg/workerd.mjs';
import { runFlow } from '../flow.mjs';

export default {
  async fetch(request) {
    const q = new URL(request.url).searchParams;
    try {
      return Response.json(await runFlow(lib, { baseUrl: q.get('api'), token: q.get('token'), jobid: q.get('jobid') }));
    } catch (e) {
      return Response.json({ failed: `${e?.name}: ${e?.message} (kind ${e?.kind})` }, { status: 500 });
    }
  },
};
