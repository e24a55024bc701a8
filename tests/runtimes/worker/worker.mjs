// A Cloudflare Worker as a user writes it: imports the package by name. run.mjs bundles it
// with esbuild (conditions workerd/worker/browser, .wasm kept as a module) like wrangler does.
import * as lib from 'dreamina-upscale';
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
