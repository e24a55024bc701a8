// Renders bench/results.json as bench/RESULTS.md, the whole of it (the one writer of that file):
// one markdown table per figure, each timed figure with its spread.
import { renderBatch } from './batch.mjs';
import { renderSection as renderCloudflare } from './cloudflare.mjs';

const n0 = (x) => (x == null ? '–' : Math.round(x).toLocaleString('en-US'));
const f = (x, d = 2) => (x == null || !Number.isFinite(x) ? '–' : x.toFixed(d));
const kib = (x) => (x == null ? '–' : `${(x / 1024).toFixed(1)} KiB`);
const pct = (x) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(0)}%`;
/** A target's verdict. Timed targets are judged on the median and upper quartile; older results
 * of them were judged on the median alone, and say so. */
const met = (t, timed = false) => (t.verdict ? `**${t.verdict}**` : `**${t.met ? 'met' : 'missed'}**${timed ? ' (median only)' : ''}`);
/** `median (min–max)` of a summary; older results kept no min/max. */
const spread = (x, d = 2, scale = 1) => `${f(x.median * scale, d)} (${x.min == null ? '–' : `${f(x.min * scale, d)}–${f(x.max * scale, d)}`})`;
/** `median, upper quartile` of a target, with its unit. */
const twoNumbers = (t, unit) => `${f(t.value)}${unit} median${t.upper == null ? '' : `, ${f(t.upper)}${unit} upper quartile`}`;

function table(head, rows) {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function targets(fig) {
  const rows = [];
  if (fig.size) rows.push(['browser: client-only wasm + browser glue at most 52 KiB gzip (aim 40 KiB)', `${kib(fig.size.target.value)} gzip (${n0(fig.size.target.value)} B)`, met(fig.size.target)]);
  if (fig.startup?.target) rows.push([`Node cold start, import → ready, median${fig.startup.target.upper == null ? '' : ' and upper quartile'} at most 8 ms`, twoNumbers(fig.startup.target, ' ms'), met(fig.startup.target, true)]);
  if (fig.calls) {
    const names = { sequential: 'sequential, loopback', concurrent: `${fig.calls.concurrent.width} in flight, loopback`, inMemoryFetch: 'in-memory fetch answering `new Response(body)` (client CPU)' };
    for (const t of fig.calls.targets ?? []) {
      const x = fig.calls[t.mode];
      rows.push([`getJob ${names[t.mode]}: median${t.upper == null ? '' : ' and upper quartile'} at most ${t.limit}× plain JS`, `${twoNumbers(t, '×')} (medians ${f(x.pkg.median * 1000, 0)} µs vs ${f(x.plain.median * 1000, 0)} µs)`, met(t, true)]);
    }
  }
  if (fig.memory) {
    const g = fig.memory.growth;
    rows.push([`no memory growth 100 → 10,000 calls beyond noise (after a ${n0(fig.memory.warmupCalls ?? 0)}-call warm-up of each client)`, `wasm ${n0(g.pkgWasm100to10k)} B; JS heap ${kib(g.pkgHeap100to10k)} (baseline ${kib(g.plainHeap100to10k)}), then ${kib(g.pkgHeap10kto20k)} over 10k→20k`, met(fig.memory.target)]);
  }
  if (fig.poll) {
    const t = fig.poll.target;
    rows.push(['default poll schedule beats fixed 10 s on lag with no more requests', `lag ${f(t.value.lagMeanS)} s vs ${f(t.baseline.lagMeanS)} s; ${f(t.value.requestsPerJob)} vs ${f(t.baseline.requestsPerJob)} GETs/job`, met(t)]);
  }
  return table(['target', 'measured', ''], rows);
}

function size(s) {
  const row = (r) => [r.build, n0(r.wasm.raw), n0(r.wasm.gzip), n0(r.wasm.brotli), n0(r.glue.raw), n0(r.glue.gzip), n0(r.glue.brotli), `**${n0(r.total.gzip)}**`, n0(r.total.brotli)];
  return [
    'Bytes: the same build gives the same bytes, so these figures have no spread. Each entry with the .wasm it really loads: `browser.mjs` the client-only build (what a web app ships; the 40 KiB target is about this row), `node.mjs` and `workerd.mjs` the edge build (client + createProxyHandler/handleWebhook). Glue = the entry bundled with esbuild (`--bundle --minify --format=esm`); the .wasm is a separate file. gzip -9 and brotli (q11) via node:zlib, each file compressed on its own as a server would.',
    '',
    table(['build', 'wasm raw', 'wasm gzip', 'wasm br', 'glue raw', 'glue gzip', 'glue br', 'total gzip', 'total br'], [...s.builds.map(row), ...s.baselines.map((r) => row({ ...r, build: `baseline: ${r.build}` }))]),
    '',
    `The browser glue as published, unbundled and unminified: ${n0(s.unbundledBrowserGlue.raw)} B raw, ${n0(s.unbundledBrowserGlue.gzip)} B gzip. Margin: ${n0(s.target.limit - s.target.value)} B gzip under the 52 KiB budget (${n0(s.target.limit)} B); ${n0(s.target.value - (s.target.aim ?? 40960))} B over the 40 KiB aim.`,
  ].join('\n');
}

function startup(st) {
  const c = st.cold;
  const cold = [
    ['package (node entry: read + compile + instantiate + `new DreaminaClient`)', c['cold-pkg']],
    ['baseline: plain JS (import + `createClient`)', c['cold-plain']],
    ['empty `node` process (floor)', c['cold-empty']],
  ].map(([name, x]) => [name, spread(x.importToReadyMs), f(x.importToReadyMs.p95), spread(x.processToReadyMs), f(x.processToReadyMs.p95), spread(x.wallMs)]);
  const w = st.warm;
  const warm = [
    ['compile: `new WebAssembly.Module(bytes)`, bytes new to V8', 'compileFreshMs'],
    ['compile: same bytes again (V8 module cache hit)', 'compileCachedMs'],
    ['instantiate: glue `initSync({module})`', 'instantiateMs'],
    ['bytes → client ready (compile + instantiate + constructor)', 'readyFromBytesMs'],
    ['cached Module → client ready (instantiate + constructor)', 'readyFromModuleMs'],
    ['baseline: plain JS `createClient`', 'plainReadyMs'],
  ].map(([name, k]) => [name, spread(w.edge[k], 3), f(w.edge[k].p95, 3), spread(w.client[k], 3), f(w.client[k].p95, 3)]);
  return [
    `Cold: a fresh \`node\` per sample, ${c['cold-pkg'].importToReadyMs.n} samples each, interleaved. Milliseconds. The node entry loads the edge build. The sample's script imports nothing before its clock starts (not even node:fs), so whatever built-in modules an entry pulls in are counted.`,
    '',
    table(['cold start', 'import → ready median (min–max)', 'p95', 'process start → ready median (min–max)', 'p95', 'spawn → exit median (min–max)'], cold),
    '',
    `Warm: re-instantiating in one process (a fresh copy of the glue each time), ${w.edge.instantiateMs.n} samples per build. Milliseconds. Edge = the build node.mjs/workerd.mjs load (the cold start above uses it); client = the one browser.mjs loads.`,
    '',
    table(['warm step', 'edge median (min–max)', 'edge p95', 'client median (min–max)', 'client p95'], warm),
  ].join('\n');
}

function calls(c) {
  const row = (name, x) => [name, spread(x.pkg, 0, 1000), f(x.pkg.p99 * 1000, 0), spread(x.plain, 0, 1000), f(x.plain.p99 * 1000, 0), `${f(x.medianRatio)}×`, (x.p75Ratio == null ? '–' : `${f(x.p75Ratio)}×`), `${f(x.p99Ratio)}×`, f(x.extraMicrosPerCall, 0)];
  return [
    `getJob through the node entry (edge build) of a completed job (${'≈'}1 KB JSON) against the mock API. Server: ${c.server}. Latency per call in µs; 5,000 calls per client and mode after a 500-call warm-up, in 5 rounds. Sequential calls alternate between the two clients call by call, so drift falls on both alike; concurrent batches alternate block by block, and each call there is timed from the moment its batch of ${c.concurrent.width} is issued (what a caller awaiting them sees). Plain JS = \`fetch\`, \`res.text()\`, \`JSON.parse\`, a status check, no timeout (bench/baseline/plain.mjs): the ratios price everything the package does beyond that (its per-request timeout and AbortController, header reads, validation, classification).`,
    '',
    table(['mode', 'package median (min–max)', 'package p99', 'plain JS median (min–max)', 'plain JS p99', 'ratio median', 'ratio p75', 'ratio p99', 'extra µs/call (median)'], [
      row('sequential, loopback', c.sequential),
      row(`concurrent, ${c.concurrent.width} in flight, loopback`, c.concurrent),
      row('sequential, in-memory fetch (client CPU only)', c.inMemoryFetch),
    ]),
    '',
    `Throughput with ${c.concurrent.width} in flight: package ${n0(c.concurrent.throughput.pkg)} calls/s, plain JS ${n0(c.concurrent.throughput.plain)} calls/s.`,
    ...(c.sequential.guardedRatio ? ['', `Diagnosis: plain JS plus, written by hand, the per-call JS objects of the package's fetch layer (a \`Request\` from \`RequestInit\` + \`Headers\` for the global fetch, or \`(url, init)\` with a copy of the headers for a caller's fetch; an \`AbortController\`; a timeout set and cleared: bench/baseline/guarded.mjs) costs ${f(c.sequential.guardedRatio)}× plain JS sequential on loopback, ${f(c.concurrent.guardedRatio)}× with ${c.concurrent.width} in flight, ${f(c.inMemoryFetch.guardedRatio)}× with the in-memory fetch. That much of each ratio above is the runtime's price for the card's fetch form; the rest is wasm and its glue.`] : []),
    ...(c.sequential.floorRatio ? ['', `Floor: plain JS's own steps (an init object with headers, \`fetch(url, init)\`, \`text()\`, \`JSON.parse\`, a status check) written in Rust and exported as an async function through wasm-bindgen-futures, with nothing else (bench/floor: no timeout, no AbortController, no validation) costs ${f(c.sequential.floorRatio)}× plain JS sequential on loopback, ${f(c.concurrent.floorRatio)}× with ${c.concurrent.width} in flight, ${f(c.inMemoryFetch.floorRatio)}× with the in-memory fetch: what awaiting \`fetch\` and \`text()\` as \`JsFuture\`s costs on the card before the package does any work of its own. The card's fetch form (diagnosis above) comes on top of it.`] : []),
  ].join('\n');
}

function poll(p) {
  const r = p.real;
  const row = (name, x, times) => [name, f(x.requestsPerJob), n0(x.requestsP95), f(x.lagMeanS), f(x.lagP95S), f(x.lagMaxS), times ?? '–'];
  const t = (x) => `${x.firstJobPollTimesS.join(', ')} …`;
  const ms = (d) => d.map((x) => x / 1000).join(', ') + ' (last repeats)';
  return [
    `${p.model}. Deterministic (a seeded simulation): the same figures every run, so no spread between runs; the p95 and max columns are the spread over the simulated jobs. Lag = job finished → promise resolved. The real client runs with a fake \`fetch\` and setTimeout/clearTimeout/Date.now replaced by a virtual clock.`,
    '',
    table(['schedule (real client)', 'GETs/job mean', 'p95', 'lag mean s', 'lag p95 s', 'lag max s', 'poll times of one job, s after POST'], [
      row('documented default (25 s, then every 7.5 s), `upscaleAndWait`', r.default, t(r.default)),
      row('documented default, `upscale` then `waitForJob` (looks at once, then 25 s, then every 7.5 s)', r['wait-default'], t(r['wait-default'])),
      row('baseline: fixed 10 s (`pollIntervalMs: 10000`)', r['fixed:10000'], t(r['fixed:10000'])),
      row('baseline: fixed 20 s', r['fixed:20000'], t(r['fixed:20000'])),
    ]),
    '',
    `Alternatives, on a re-implementation of the schedule arithmetic that reproduces the real client's figures exactly (${p.validation.map((v) => `${v.schedule}: ${v.reproduces ? 'yes' : 'NO'}`).join(', ')}); delays in s, POST → first GET first:`,
    '',
    table(['schedule', 'delays', 'GETs/job mean', 'p95', 'lag mean s', 'lag p95 s', 'lag max s'], [
      ...p.alternatives.map((a) => [a.name, ms(a.delaysMs), f(a.requestsPerJob), n0(a.requestsP95), f(a.lagMeanS), f(a.lagP95S), f(a.lagMaxS)]),
      ...p.search.map((a) => [`search — ${a.rule}`, ms(a.delaysMs), f(a.requestsPerJob), n0(a.requestsP95), f(a.lagMeanS), f(a.lagP95S), f(a.lagMaxS)]),
    ]),
  ].join('\n');
}

function memory(m) {
  const row = (p, b, label) => [label ?? n0(p.calls), kib(p.heapUsed), kib(p.wasmMemory), n0(p.externrefTable), kib(b?.heapUsed)];
  const warm = m.warmupCalls ?? 0;
  const warmupRows = (m.warmup?.pkg ?? []).map((p, i) => row(p, m.warmup.plain[i], `warm-up: ${n0(p.calls)} from start`));
  const g = m.growth;
  return [
    `Sequential getJob calls against the mock API, each client in a fresh \`node --expose-gc\` process, once per run (each figure is one value: its spread is the run-to-run noise the target allows for); figures after 4 forced GCs. Each client first makes the same ${n0(warm)} calls (warm-up rows: counted from process start); the other rows count calls after them.`,
    '',
    table(['calls', 'package JS heap', 'package wasm memory', 'package externref table', 'plain JS heap'], [...warmupRows, ...m.pkg.map((p, i) => row(p, m.plain[i]))]),
    '',
    `Growth 100 → 10,000 calls: package JS heap ${kib(g.pkgHeap100to10k)}, wasm memory ${n0(g.pkgWasm100to10k)} B; plain JS heap ${kib(g.plainHeap100to10k)}. 10,000 → 20,000: package ${kib(g.pkgHeap10kto20k)}, plain ${kib(g.plainHeap10kto20k)}. Target: ${m.target.what}.`,
    ...(warm ? ['', `Why the warm-up: in a fresh process the JS heap grows over the first ~2,000 calls whatever the client (here 100 → 2,000 from start: package ${kib(g.warmupPkgHeap100to2k)}, plain ${kib(g.warmupPlainHeap100to2k)}), and that growth is V8 warming up, not garbage kept per call: optimized code and its metadata (deopt data, relocation info, source positions, code dependencies), undici's timer list and fetch's resource-timing buffer (250 entries). Heap snapshots at 100, 2,000, 10,000 and 20,000 calls found no kind of object whose count grows with calls. The package has more JS to optimize (its wasm-bindgen glue), so measuring from call 100 of a fresh process charged it several hundred KiB more of that warm-up than plain JS; after the same warm-up for both, what is left grows alike for both (mostly fetch's own code being optimized further).`] : []),
  ].join('\n');
}

const code = (name, n = 110) => `\`${name.replace(/\|/g, '\\|').slice(0, n)}\``;
const BUILD_TITLE = {
  client: 'client-only build (browser.mjs: what a web app downloads)',
  edge: 'edge build (node.mjs, workerd.mjs: client + createProxyHandler/handleWebhook)',
};

function sizeOf(id, b) {
  const out = [`### What the ${BUILD_TITLE[id] ?? id} is made of`, ''];
  out.push(table(['section of the shipped .wasm', 'raw', 'gzip', 'brotli'], b.sections.slice(0, 4).map((s) => [s.section, n0(s.raw), n0(s.gzip), n0(s.brotli)])));
  if (!b.categories) return [...out, '', `Breakdown skipped: ${b.skipped}`, ''];
  out.push('', `By origin, from twiggy on a build with names (wasm-bindgen --keep-debug, before wasm-opt: ${n0(b.preOptShippableBytes)} B without names; after wasm-opt -Os this build strips to ${n0(b.namedBuildStrippedBytes)} B vs ${n0(b.shippedBytes)} B shipped). Async code of the client is monomorphised into js-sys \`future_to_promise\` closures, so part of "wasm-bindgen" is the client's own state machines.`, '');
  out.push(table(['origin', 'bytes', 'share'], b.categories.map((c) => [c.category, n0(c.bytes), `${f(c.pct, 1)}%`])));
  out.push('', 'Largest items after wasm-opt (inlining merges callees into callers):', '');
  out.push(table(['bytes', 'item'], b.topAfterWasmOpt.map((t) => [n0(t.bytes), code(t.name)])));
  if (b.dominatorsBeforeWasmOpt?.length) {
    out.push('', 'Dominator tree before wasm-opt (retained = bytes that would go if the item went; the function table that holds every vtable/closure is skipped, its children shown at depth 0):', '');
    out.push(table(['retained', 'shallow', 'item'], b.dominatorsBeforeWasmOpt.map((t) => [n0(t.retainedBytes), n0(t.shallowBytes), `${'↳ '.repeat(t.depth)}${code(t.name, 100)}`])));
  }
  return [...out, ''];
}

function diagnosis(d) {
  const out = [];
  if (d.size) for (const [id, b] of Object.entries(d.size)) out.push(...sizeOf(id, b));
  if (d.calls) {
    out.push('### Where a getJob call spends its CPU (node --cpu-prof, node entry on the named edge build, in-memory fetch, sequential)', '');
    const p = d.calls;
    const cats = new Set([...p.pkg.categories, ...p.plain.categories].map((c) => c.name));
    const get = (who, c) => p[who].categories.find((x) => x.name === c)?.pct;
    out.push(table(['self time', 'package', 'plain JS'], [
      ['µs per call (profiled, includes profiler overhead)', f(p.pkg.usPerCall, 1), f(p.plain.usPerCall, 1)],
      // Share of self time, and that share of the profiled µs per call.
      ...[...cats].map((c) => [c, ...['pkg', 'plain'].map((w) => (get(w, c) == null ? '–' : `${f(get(w, c), 1)}% (${f((get(w, c) * p[w].usPerCall) / 100, 1)} µs)`))]),
    ]));
    out.push('', 'Top functions of the package by self time:', '');
    out.push(table(['function', 'self %'], p.pkg.top.map((t) => [code(t.name, 100), f(t.pct, 1)])));
    out.push('');
  }
  return out.join('\n');
}

/** Under a section: which run measured it, when that is not the run the header describes. */
function provenance(r, name) {
  const at = r.measured?.[name];
  if (!at?.date || at.date === r.machine.date) return [];
  const other = JSON.stringify(at.wasmSha256) !== JSON.stringify(r.machine.wasmSha256);
  return [`_Measured by an earlier run, ${at.date}${other ? `, on another build of the package (wasm sha256: ${Object.entries(at.wasmSha256 ?? {}).map(([id, h]) => `${id} ${h?.slice(0, 12)}…`).join(', ')})` : ''}; \`npm run bench -- --only ${name}\` measures it again._`, ''];
}

export function renderMarkdown(r) {
  const m = r.machine;
  const fig = r.figures;
  const section = (name, title, render) => (fig[name] ? ['', `## ${title}`, '', ...provenance(r, name), render(fig[name])] : []);
  const parts = [
    '# Benchmarks',
    '',
    `Generated by \`npm run bench\` (bench/run.mjs); the latest run on ${m.date.slice(0, 10)}, and a figure measured by an earlier run (\`--only\` measures some) says so. Every figure is measured side by side with its baseline in the same run; timed figures show their median and spread (min–max), and a timed target is met only when its median and its upper quartile both are. Figures only: nothing passes or fails on timings.`,
    '',
    `Machine: ${m.os}; ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB; Node ${m.node}; ${m.rustc}; ${m.package} (wasm sha256: ${Object.entries(m.wasmSha256 ?? {}).map(([id, h]) => `${id} ${h?.slice(0, 12)}…`).join(', ')}). Load average at the start of the timed figures ${m.loadAverageAtStart?.join(', ') ?? '–'}, at their end ${m.loadAverageAtEnd?.join(', ') ?? '–'} (the benchmark's own processes count in the latter).`,
    '',
    '## Targets',
    '',
    targets(fig),
  ];
  parts.push(
    ...section('size', '1. Size', size),
    ...section('startup', '2. Start-up', startup),
    ...section('calls', '3. Per-call overhead', calls),
    ...section('poll', '4. Polling', poll),
    ...section('memory', '5. Memory', memory),
    ...section('batch', '6. Batch', renderBatch),
    ...section('cloudflare', '7. Cloudflare batch Worker (examples/cloudflare-batch, workerd via Miniflare)', (c) => renderCloudflare(c, r.measured?.cloudflare?.date ?? m.date)),
  );
  if (r.diagnosis?.size || r.diagnosis?.calls) parts.push('', '## Diagnosis (size and CPU breakdowns, run whether or not a target is met)', '', diagnosis(r.diagnosis));
  return parts.join('\n') + '\n';
}
