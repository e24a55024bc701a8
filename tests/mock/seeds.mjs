// The seeded generation jobs every mock starts with (and gets back on reset).

import { userSuffix, generationImages } from './job.mjs';
import { DEFAULT_ACCOUNT, LINKED_ACCOUNTS } from './accounts.mjs';

const USER_SUFFIX = userSuffix(DEFAULT_ACCOUNT);
const SEED_CREATED = '2025-11-25T00:00:00.000Z';
const SEED_UPDATED = '2025-11-25T00:00:42.000Z';

/** Named ids of the seeded image-generation jobs. */
export const SEEDED = Object.freeze({
  square: `j1125000000000000001i${USER_SUFFIX}`,
  wide: `j1125000000000000002i${USER_SUFFIX}`,
  weird: 'j1125000000000000003i-u12345-US:we/ird?#%x@example.com:dreamina',
  running: `j1125000000000000004i${USER_SUFFIX}`,
  failing: `j1125000000000000005i${USER_SUFFIX}`,
  expired: `j1125000000000000006i${USER_SUFFIX}`,
  /** Upscales of its image 2 fail (fail_code: 2043); images 0, 1 and 3 upscale normally. */
  partial: `j1125000000000000007i${USER_SUFFIX}`,
  /** A completed generation with only 2 images (a generation makes *up to* 4). */
  pair: `j1125000000000000008i${USER_SUFFIX}`,
});

/** The seeded generation jobs (fresh copies, so cancelling one and resetting restores it).
 * They are fixtures older than the size table: seedream-3.0 1k pictures of 1024x1024 and 1024x768. */
export function seedJobs() {
  const gen = (jobid, name, w, h, extra = {}) => {
    const account = name === 'weird' ? LINKED_ACCOUNTS[2] : DEFAULT_ACCOUNT;
    return {
      jobid, type: 'image', model: 'seedream-3.0', seeded: true, account,
      status: 'completed', createdAt: Date.parse(SEED_CREATED), updatedAt: Date.parse(SEED_UPDATED),
      request: { prompt: `mock ${name} picture`, model: 'seedream-3.0', ratio: w === h ? '1:1' : '4:3', resolution: '1k', inputMode: 'generate' },
      images: generationImages(`gen-${name}`, `mock ${name} picture`, 0, w, h, 4, account),
      failUpscale: new Set(),
      ...extra,
    };
  };
  const jobs = [
    gen(SEEDED.square, 'square', 1024, 1024),
    gen(SEEDED.wide, 'wide', 1024, 768),
    gen(SEEDED.weird, 'weird', 1024, 1024),
    gen(SEEDED.running, 'running', 1024, 1024, { status: 'created', images: [], updatedAt: null }),
    gen(SEEDED.failing, 'failing', 1024, 1024, { failUpscales: true }),
    gen(SEEDED.expired, 'expired', 1024, 1024, { expired: true }),
    gen(SEEDED.partial, 'partial', 1024, 1024, { failUpscale: new Set([2]) }),
    gen(SEEDED.pair, 'pair', 1024, 768, { images: generationImages('gen-pair', 'mock pair picture', 0, 1024, 768, 2, DEFAULT_ACCOUNT) }),
  ];
  return new Map(jobs.map((j) => [j.jobid, j]));
}
