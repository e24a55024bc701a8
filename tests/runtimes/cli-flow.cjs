// CommonJS user: `require('dreamina-upscale')` (Node 20.19+ loads the ESM entry synchronously
// because no module of the package uses top-level await). Same arguments as cli-flow.mjs.
const lib = require('dreamina-upscale');

(async () => {
  const { runFlow } = await import('./flow.mjs');
  const [baseUrl, token, jobid] = process.argv.slice(2);
  const result = await runFlow(lib, { baseUrl, token, jobid });
  console.log(JSON.stringify({ ...result, requireExports: Object.keys(lib).sort(), entry: require.resolve('dreamina-upscale') }));
})().catch((e) => { console.error(e); process.exitCode = 1; });
