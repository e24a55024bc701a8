import type { NextConfig } from 'next';
import path from 'node:path';

// Nothing for dreamina-upscale. The roots only say this app is its own project although it
// sits inside the package's repository (which has a lockfile of its own).
const root = path.dirname(new URL(import.meta.url).pathname);
const nextConfig: NextConfig = { turbopack: { root }, outputFileTracingRoot: root };

export default nextConfig;
