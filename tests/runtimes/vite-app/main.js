// A user's app bundled by Vite: imports the package by name (resolved through its "browser"
// export, which instantiates the .wasm with top-level await before this module runs).
import * as lib from 'dreamina-upscale';
import { runFlow } from '../flow.mjs';

const q = new URLSearchParams(location.search);
runFlow(lib, { baseUrl: q.get('api'), token: q.get('token'), jobid: q.get('jobid') }).then(
  (result) => { window.__result = result; },
  (e) => { window.__result = { failed: `${e?.name}: ${e?.message} (kind ${e?.kind})` }; },
);
