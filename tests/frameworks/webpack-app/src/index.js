// src/index.js
import { DreaminaClient } from 'dreamina-upscale';

// The test gives the API (the mock, which answers CORS) and a job in the query string.
const q = new URLSearchParams(location.search);
const client = new DreaminaClient({ baseUrl: q.get('api'), token: q.get('token') });
client.upscaleAndWait({ jobid: q.get('jobid'), upscaleResolution: '2k' }, { pollIntervalMs: 100 }).then(
  (job) => { window.__result = { status: job.status, imageUrl: job.response?.images?.[0]?.imageUrl }; },
  (e) => { window.__result = { failed: `${e.name}: ${e.message}` }; },
);
