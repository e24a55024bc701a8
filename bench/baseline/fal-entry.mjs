// What a web app ships when it uses @fal-ai/client for the same job (submit + poll until done):
// the client is created and called so the bundler cannot drop it.
import { createFalClient } from '@fal-ai/client';

const fal = createFalClient({ credentials: () => globalThis.FAL_KEY });

export async function upscale(imageUrl, signal) {
  const result = await fal.subscribe('fal-ai/esrgan', {
    input: { image_url: imageUrl, scale: 4 },
    pollInterval: 10_000,
    abortSignal: signal,
  });
  return result.data;
}
