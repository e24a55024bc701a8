// The README's Bun line ("Bun works the same way: `Bun.serve({ fetch: (req) => proxy(req) })`")
// around the same proxy as the Deno example. `upstream` points at the test's mock API; the
// server binds 127.0.0.1 on a free port and prints it.
import { createProxyHandler } from 'dreamina-upscale';

const proxy = createProxyHandler({
  token: Bun.env.USEAPI_TOKEN,
  upstream: Bun.env.DREAMINA_UPSTREAM,
});

const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: (req) => proxy(req) });

// One JSON line the test waits for: the port, and which file the bare name resolved to.
console.log(JSON.stringify({ port: server.port, entry: import.meta.resolve('dreamina-upscale') }));
