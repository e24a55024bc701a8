// The README's Deno example ("Keep your token off the client" → Deno), as close to verbatim as
// a test allows: the same `npm:` import (in a project with package.json and node_modules, as
// this repo is, Deno resolves it from node_modules, offline), the token from the environment,
// the proxy mounted on /api/dreamina/. Differences, and why: `upstream` points at the test's
// mock API instead of api.useapi.net; the server binds 127.0.0.1 on a free port and prints it
// (the README uses Deno's default port); a plain 404 stands in for `serveDir`
// (jsr:@std/http would need a download).
import { createProxyHandler } from 'npm:dreamina-upscale';

const proxy = createProxyHandler({
  token: Deno.env.get('USEAPI_TOKEN')!,
  upstream: Deno.env.get('DREAMINA_UPSTREAM')!,
});

Deno.serve(
  {
    port: 0,
    hostname: '127.0.0.1',
    // One JSON line the test waits for: the port, and which file the import resolved to.
    onListen: ({ port }) => console.log(JSON.stringify({ port, entry: import.meta.resolve('npm:dreamina-upscale') })),
  },
  (request) =>
    new URL(request.url).pathname.startsWith('/api/dreamina/')
      ? proxy(request)
      : new Response('static files would be here', { status: 404 }),
);
