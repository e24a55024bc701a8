import { createProxyHandler } from 'dreamina-upscale';

// The same proxy in Next's edge runtime: the package's `edge-light` entry.
export const runtime = 'edge';

const proxy = createProxyHandler({
  token: process.env.USEAPI_TOKEN,
  upstream: process.env.USEAPI_UPSTREAM,
  basePath: '/api/edge',
});

export { proxy as GET, proxy as POST, proxy as OPTIONS };
