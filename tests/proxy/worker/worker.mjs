// The worker under test: three proxy handlers in front of the mock API, and a webhook route
// that confirms jobs with handleWebhook and reports each outcome to the test's collector.
import { DreaminaClient, createProxyHandler, handleWebhook } from './shim.mjs';

let handlers;

/** Refuses 8k upscales with the app's own 403 and caps every job's concurrency. */
function transformUpscale(body) {
  if (String(body.upscaleResolution ?? '').toLowerCase() === '8k') {
    return Response.json({ error: '8k upscales are not allowed here', code: 403 }, { status: 403 });
  }
  return { ...body, maxJobs: 2 };
}

/** Test switch `x-test-auth`: deny | respond | throw | echo (the route it was given). */
async function authorize(request, route) {
  switch (request.headers.get('x-test-auth')) {
    case 'deny': return false;
    case 'respond': return new Response('teapot', { status: 418, headers: { 'x-from': 'authorize' } });
    case 'throw': throw new Error('authorize blew up');
    case 'echo': return Response.json(route, { status: 200, headers: { 'x-echo': '1' } });
    default: return true;
  }
}

function build(env) {
  const common = { token: env.TOKEN, upstream: env.UPSTREAM };
  return {
    main: createProxyHandler({
      ...common, basePath: '/api/dreamina', allowOrigins: [env.ALLOWED_ORIGIN], maxBodyBytes: Number(env.MAX_BODY),
      transformUpscale, authorize,
    }),
    open: createProxyHandler({ ...common, basePath: '/open/', allowOrigins: '*' }),
    dead: createProxyHandler({ token: env.TOKEN, upstream: env.DEAD_UPSTREAM, basePath: '/dead', timeoutMs: 3000 }),
  };
}

async function webhook(request, env) {
  const client = new DreaminaClient({ token: env.TOKEN, baseUrl: env.UPSTREAM, maxRetries: 0 });
  let report;
  try {
    report = { ok: true, result: await handleWebhook(request, { client }) };
  } catch (e) {
    report = { ok: false, error: { name: e?.name, kind: e?.kind, field: e?.field, status: e?.status, jobid: e?.jobid, message: e?.message } };
  }
  await fetch(env.REPORT_URL, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(report) });
  return Response.json(report, { status: report.ok ? 200 : 400 });
}

export default {
  async fetch(request, env) {
    handlers ??= build(env);
    const { pathname } = new URL(request.url);
    if (pathname === '/webhook') return webhook(request, env);
    if (pathname === '/__url') return new Response(request.url);
    if (pathname.startsWith('/open/')) return handlers.open(request);
    if (pathname.startsWith('/dead/')) return handlers.dead(request);
    return handlers.main(request);
  },
};
