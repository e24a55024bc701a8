// `node tests/types/check.mjs`: `tsc --noEmit --strict` over usage.ts and drift.ts, as a
// bundler project and as a Node16 ESM project, both resolving 'dreamina-upscale' through
// node_modules (-> pkg/, so `bash scripts/build.sh` first). The @ts-expect-error lines in
// usage.ts make the run fail if the types stop refusing misuse.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { check, summary, run } from '../runtimes/harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const TSC = path.join(ROOT, 'node_modules/.bin/tsc');

if (!fs.existsSync(path.join(ROOT, 'node_modules/dreamina-upscale/index.d.ts'))) {
  console.log('FAIL pkg/ is not built or node_modules/dreamina-upscale is missing: run `bash scripts/build.sh`');
  process.exit(1);
}

for (const config of ['tsconfig.bundler.json', 'tsconfig.node16.json']) {
  await check(`tsc --strict (${config}): usage, misuse refused, class matches generated`, async () => {
    await run(TSC, ['-p', path.join(HERE, config)], { timeoutMs: 120000 });
    return (await run(TSC, ['--version'])).stdout.trim();
  });
}
summary('types');
