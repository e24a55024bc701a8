import { createProxyHandler } from 'dreamina-upscale';

// Made when the module loads, also by `next build`, which needs no token: a request that
// arrives while USEAPI_TOKEN is unset gets a 500 saying so, and nothing is forwarded.
const proxy = createProxyHandler({
  token: process.env.USEAPI_TOKEN,
  upstream: process.env.USEAPI_UPSTREAM, // unset: https://api.useapi.net/v1/dreamina
});

export { proxy as GET, proxy as POST, proxy as OPTIONS };
