// A temporary copy of the sources for running the real scripts on: node_modules holds links to
// this tree's installed packages (and setup.sh's stamps), so setup.sh finds everything installed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SOURCES = ['scripts', 'src', 'js', 'Cargo.toml', 'Cargo.lock', 'package.json', 'package-lock.json', 'README.md', 'LICENSE'];

/** Copies the sources (plus `extra` paths) into a new temporary folder; returns its path. */
export function copyTree(extra = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dreamina-scripts-'));
  for (const name of [...SOURCES, ...extra]) fs.cpSync(path.join(ROOT, name), path.join(dir, name), { recursive: true, preserveTimestamps: true });
  const modules = path.join(dir, 'node_modules');
  fs.mkdirSync(modules);
  for (const name of fs.readdirSync(path.join(ROOT, 'node_modules'))) {
    if (name === 'dreamina-upscale') continue; // setup.sh makes this one
    if (name.startsWith('.setup-')) fs.writeFileSync(path.join(modules, name), ''); // newer than package*.json
    else fs.symlinkSync(path.join(ROOT, 'node_modules', name), path.join(modules, name));
  }
  return dir;
}

/** A Cargo.toml that cargo and wasm-pack refuse at once (an inline table never closed). */
export function breakManifest(dir) {
  fs.appendFileSync(path.join(dir, 'Cargo.toml'), '\nserde = { version = "1"\n');
}

/** Stands for the pkg/ of an earlier build. */
export function fakePackage(dir, version = '0.0.0-old') {
  fs.mkdirSync(path.join(dir, 'pkg'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'pkg', 'package.json'), JSON.stringify({ name: 'dreamina-upscale', version }) + '\n');
}
