import { createProxyHandler } from 'dreamina-upscale';

// Read at run time: `react-router build` needs no token.
const proxy = createProxyHandler({
  token: process.env.USEAPI_TOKEN,
  upstream: process.env.USEAPI_UPSTREAM, // unset: https://api.useapi.net/v1/dreamina
});

export const loader = ({ request }: { request: Request }) => proxy(request);
export const action = loader;
