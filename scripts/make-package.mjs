// Writes pkg/package.json for the publishable package from the root package.json's metadata.
import { readFileSync, writeFileSync } from 'node:fs';

const root = JSON.parse(readFileSync(new URL('../package.json', import.meta.url)));
const meta = JSON.parse(readFileSync(new URL('../js/package.template.json', import.meta.url)));
const pkg = { ...meta, version: root.version };
// The output folder is the first argument (build.sh builds into a temporary one).
const out = new URL(`../${process.argv[2] ?? 'pkg'}/package.json`, import.meta.url);
writeFileSync(out, JSON.stringify(pkg, null, 2) + '\n');
