// Writes pkg/package.json for the publishable package from the root package.json's metadata.
import { readFileSync, writeFileSync } from 'node:fs';

const root = JSON.parse(readFileSync(new URL('../package.json', import.meta.url)));
const meta = JSON.parse(readFileSync(new URL('../js/package.template.json', import.meta.url)));
const pkg = { ...meta, version: root.version };
writeFileSync(new URL('../pkg/package.json', import.meta.url), JSON.stringify(pkg, null, 2) + '\n');
