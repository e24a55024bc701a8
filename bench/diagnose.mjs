// Diagnosis: what each .wasm is made of (twiggy on builds that keep names: the client-only build
// browsers download, and the edge build Node/workerd load) and where a getJob call spends its CPU
// (node --cpu-prof on the named edge build, which is what node.mjs loads).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILDS, OUT, PKG, ROOT } from './lib.mjs';
import { sizes } from './size.mjs';

const TWIGGY = path.join(ROOT, '.tools/bin/twiggy');
const NAMED = path.join(OUT, 'named');
export const NAMED_PKG = path.join(OUT, 'named-pkg');
/** The shipped build's wasm-opt flags (scripts/build.sh reads the same file). */
const WASM_OPT_FLAGS = fs.readFileSync(path.join(ROOT, 'scripts/wasm-opt.flags'), 'utf8').trim().split(/\s+/);

function which(cmd, extra = []) {
  for (const dir of [...extra, ...(process.env.PATH ?? '').split(':')]) {
    const p = path.join(dir, cmd);
    if (fs.existsSync(p)) return p;
  }
  return null;
}

/** One build again with names kept: wasm-bindgen --keep-debug, then wasm-opt -Os -g (as scripts/build.sh) (and a
 * stripped copy, to check the named build is the shipped one, names aside). */
function buildOneNamed(id, bindgen, wasmOpt) {
  const b = BUILDS[id];
  const raw = path.join(OUT, b.snapshot); // snapshot of cargo's output, taken by run.mjs
  if (!fs.existsSync(raw)) return { skipped: `needs ${b.raw} (run scripts/build.sh)` };
  const dir = path.join(NAMED, id);
  const name = b.glue.replace(/\.js$/, '');
  execFileSync(bindgen, ['--target', 'web', '--keep-debug', '--out-dir', dir, '--out-name', name, raw]);
  const pre = path.join(dir, b.wasm);
  const opt = path.join(dir, 'opt.wasm');
  execFileSync(wasmOpt, [...WASM_OPT_FLAGS, '-g', pre, '-o', opt]);
  const stripped = path.join(dir, 'stripped.wasm');
  execFileSync(wasmOpt, [...WASM_OPT_FLAGS, '--strip-debug', '--strip-producers', opt, '-o', stripped]);
  return { pre, opt, glue: path.join(dir, b.glue), strippedBytes: fs.statSync(stripped).size, shippedBytes: fs.statSync(path.join(PKG, b.wasm)).size };
}

/** Both builds with names; NAMED_PKG is the node entry on the named edge build (for profiles). */
export function buildNamed() {
  const bindgen = which('wasm-bindgen', [path.join(os.homedir(), '.cargo/bin')]);
  const wasmOpt = which('wasm-opt', [path.join(ROOT, 'node_modules/.bin')]);
  if (!bindgen || !wasmOpt) {
    const skipped = { skipped: 'needs wasm-bindgen and wasm-opt' };
    return { client: skipped, edge: skipped };
  }
  fs.rmSync(NAMED, { recursive: true, force: true });
  const out = Object.fromEntries(Object.keys(BUILDS).map((id) => [id, buildOneNamed(id, bindgen, wasmOpt)]));
  fs.rmSync(NAMED_PKG, { recursive: true, force: true });
  if (!out.edge.skipped) {
    fs.mkdirSync(NAMED_PKG);
    for (const f of ['node.mjs', 'error.js']) fs.copyFileSync(path.join(PKG, f), path.join(NAMED_PKG, f));
    // wasm-bindgen's snippets, if a build ever has some, are imported by the glue.
    if (fs.existsSync(path.join(PKG, 'snippets'))) fs.cpSync(path.join(PKG, 'snippets'), path.join(NAMED_PKG, 'snippets'), { recursive: true });
    fs.copyFileSync(out.edge.glue, path.join(NAMED_PKG, BUILDS.edge.glue));
    fs.copyFileSync(out.edge.opt, path.join(NAMED_PKG, BUILDS.edge.wasm));
  }
  return out;
}

const CATEGORIES = [
  [/function names|custom section|producers|target_features/, 'names and custom sections (not shipped)'],
  [/^data segment/, 'data segments (.rodata: strings, panic locations, float and unicode tables)'],
  [/serde_json|serde_core|serde::|zmij|itoa/, 'serde_json + serde (JSON parse into Value, serialize)'],
  [/btree/i, 'BTreeMap (serde_json::Map behind Value)'],
  [/flt2dec|dec2flt|f64 as core[^>]*::fmt|fmt::float|bignum|f64 as core[^>]*FromStr|float_to_decimal/, 'f64 formatting and parsing (core: Display, str::parse)'],
  [/dlmalloc|lol_alloc|__rdl_|__rust_(alloc|dealloc|realloc)/, 'allocator (lol_alloc / dlmalloc)'],
  [/str::pattern|StrSearcher|TwoWaySearcher|slice_error_fail|memchr|join_generic/, 'core::str searching (find/split on &str), slicing panics, join'],
  [/core[^:]*::fmt|escape_debug|unicode|printable|count_chars|pad_integral|as core[^>]*::fmt::(Debug|Display)/, 'core::fmt (format!, {:?} Debug escaping, Display)'],
  [/^dreamina_upscale::/, null],
  [/js_sys|wasm_bindgen|web_sys|futures|gloo|shim|__wbindgen|__externref|closure|Closure/, 'wasm-bindgen / js-sys / futures / gloo'],
  [/core|alloc|std|panic/, 'core / alloc / std (strings, vecs, panics)'],
];

function categoryOf(name) {
  for (const [re, label] of CATEGORIES) {
    if (!re.test(name)) continue;
    if (label) return label;
    return name.match(/^dreamina_upscale::(wasm::\w+|\w+)/)[0] + ' (own code)';
  }
  return 'other';
}

function twiggyTop(file) {
  const csv = execFileSync(TWIGGY, ['top', '-n', '100000', '-f', 'csv', file], { maxBuffer: 64 << 20 }).toString();
  return csv.trim().split('\n').slice(1).map((line) => {
    const m = line.match(/^("(?:[^"]|"")*"|[^,]*),(\d+),/);
    return { name: m[1].replace(/^"|"$/g, '').replace(/""/g, '"'), bytes: Number(m[2]) };
  });
}

/** The dominator tree (who alone keeps what alive) of the named build before wasm-opt, flattened
 * in tree order: items retaining at least `minBytes`, with their depth. */
function dominators(file, minBytes = 600, maxRows = 30) {
  const tree = JSON.parse(execFileSync(TWIGGY, ['dominators', '-f', 'json', file], { maxBuffer: 256 << 20 }).toString());
  const rows = [];
  const walk = (items, depth) => {
    for (const it of items ?? []) {
      if (it.retained_size < minBytes || rows.length >= maxRows) continue;
      // The root, the function table and its element segment hold everything called through
      // a pointer (vtables, closures, async tasks): skip them, show what hangs under them.
      const skip = /^(<meta root>|table\[\d+\]|elem\[\d+\])$/.test(it.name);
      if (!skip && !/function names/.test(it.name)) rows.push({ depth, name: it.name, retainedBytes: it.retained_size, shallowBytes: it.shallow_size });
      walk(it.children, skip ? depth : depth + 1);
    }
  };
  walk(tree.items, 0);
  return rows;
}

/** Bytes per category in a named build before wasm-opt (where inlining has not yet merged
 * functions, so names still say whose code it is), the biggest functions after wasm-opt, and the
 * dominator tree. */
export function sizeBreakdown(named) {
  if (!fs.existsSync(TWIGGY)) return { skipped: 'twiggy not installed: cargo install twiggy --root .tools' };
  const pre = twiggyTop(named.pre);
  const cats = new Map();
  let shippable = 0;
  for (const { name, bytes } of pre) {
    const c = categoryOf(name);
    cats.set(c, (cats.get(c) ?? 0) + bytes);
    if (!c.startsWith('names')) shippable += bytes;
  }
  const categories = [...cats].filter(([c]) => !c.startsWith('names')).sort((a, b) => b[1] - a[1])
    .map(([category, bytes]) => ({ category, bytes, pct: (100 * bytes) / shippable }));
  const top = twiggyTop(named.opt).filter((r) => !/function names|custom section/.test(r.name)).slice(0, 25);
  return {
    preOptShippableBytes: shippable, categories, topAfterWasmOpt: top, dominatorsBeforeWasmOpt: dominators(named.pre),
    namedBuildStrippedBytes: named.strippedBytes, shippedBytes: named.shippedBytes,
  };
}

/** What the shipped .wasm's sections weigh (code vs data), gzip included. */
export function sections(file) {
  const b = fs.readFileSync(file);
  const names = { 1: 'type', 2: 'import', 3: 'function', 4: 'table', 5: 'memory', 6: 'global', 7: 'export', 9: 'elem', 10: 'code', 11: 'data', 12: 'datacount' };
  const out = [];
  let p = 8;
  const leb = () => {
    let x = 0, s = 0, c;
    do { c = b[p++]; x += (c & 127) * 2 ** s; s += 7; } while (c & 128);
    return x;
  };
  while (p < b.length) {
    const id = b[p++];
    const len = leb();
    const start = p;
    let name = names[id] ?? `section ${id}`;
    if (id === 0) { const n = leb(); name = `custom "${b.subarray(p, p + n)}"`; }
    out.push({ section: name, ...sizes(b.subarray(start, start + len)) });
    p = start + len;
  }
  return out.sort((x, y) => y.raw - x.raw);
}
