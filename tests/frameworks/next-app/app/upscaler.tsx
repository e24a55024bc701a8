'use client';
import { useState } from 'react';
import { DreaminaClient } from 'dreamina-upscale';

// No token in the browser: the route handler at app/api/dreamina/[...path]/route.ts adds it.
const client = new DreaminaClient({ baseUrl: '/api/dreamina' });

export default function Upscaler() {
  const [jobid, setJobid] = useState('');
  const [status, setStatus] = useState('idle');
  const [imageUrl, setImageUrl] = useState('');

  async function upscale() {
    setStatus('working');
    try {
      const job = await client.upscaleAndWait({ jobid, upscaleResolution: '2k' });
      setImageUrl(job.response?.images?.[0]?.imageUrl ?? '');
      setStatus(job.status);
    } catch (e) {
      setStatus(`failed: ${(e as Error).message}`);
    }
  }

  return (
    <form onSubmit={(e) => { e.preventDefault(); upscale(); }}>
      <input name="jobid" value={jobid} onChange={(e) => setJobid(e.target.value)} />
      <button type="submit">Upscale</button>
      <output data-status={status}>{status}</output>
      {imageUrl && <img src={imageUrl} alt="upscaled" width={256} />}
    </form>
  );
}
