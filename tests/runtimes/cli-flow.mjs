// Runs the flow in Node (ESM), Deno or Bun, importing the package by name as a user does and
// with no init call. Usage: <runtime> cli-flow.mjs BASE_URL TOKEN JOBID; prints one JSON line.
import * as lib from 'dreamina-upscale';
import { runFlow } from './flow.mjs';

const args = globalThis.Deno ? globalThis.Deno.args : globalThis.process.argv.slice(2);
const [baseUrl, token, jobid] = args;
const result = await runFlow(lib, { baseUrl, token, jobid });
// Which file the runtime's resolver picked for the bare name (its export conditions at work).
console.log(JSON.stringify({ ...result, entry: import.meta.resolve('dreamina-upscale') }));
