// `npm run bench -- --only X` replaces figure X alone, and bench/report.mjs renders the whole
// merged results (Cloudflare included) with each timed figure's spread. On the stored
// bench/results.json and a fake fresh run made from it: no benchmark runs here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './tree.mjs';
import { FIGURES, figuresToRun, mergeResults } from '../../bench/results.mjs';
import { renderMarkdown } from '../../bench/report.mjs';
import { summary, verdict } from '../../bench/lib.mjs';

const stored = () => JSON.parse(fs.readFileSync(path.join(ROOT, 'bench/results.json'), 'utf8'));
const FRESH_DATE = '2031-01-02T03:04:05.000Z';

/** A run of `--only startup` whose cold package start-up took `samples` ms. */
function freshStartup(samples) {
  const old = stored();
  const startup = structuredClone(old.figures.startup);
  startup.cold['cold-pkg'].importToReadyMs = summary(samples);
  const s = startup.cold['cold-pkg'].importToReadyMs;
  const judged = verdict(8, s.median, s.p75);
  startup.target = { ...startup.target, value: s.median, upper: s.p75, verdict: judged, met: judged === 'met' };
  const machine = { ...old.machine, date: FRESH_DATE, wasmSha256: { client: 'c'.repeat(64), edge: 'e'.repeat(64) } };
  return { machine, figures: { startup }, diagnosis: {}, runSeconds: 12 };
}

test('the stored results hold every figure, Cloudflare included, and render with one heading each', () => {
  const r = stored();
  assert.deepEqual(Object.keys(r.figures), FIGURES);
  const md = renderMarkdown(r);
  for (const heading of ['## 1. Size', '## 2. Start-up', '## 3. Per-call overhead', '## 4. Polling', '## 5. Memory', '## 6. Batch', '## 7. Cloudflare batch Worker']) {
    assert.equal(md.split(heading).length - 1, 1, heading);
  }
  assert.equal(fs.readFileSync(path.join(ROOT, 'bench/RESULTS.md'), 'utf8'), md, 'bench/RESULTS.md is the rendering of bench/results.json');
});

test('--only startup replaces the start-up figure alone; the others keep their values and say which run measured them', () => {
  const old = stored();
  const fresh = freshStartup([7, 7.2, 7.5, 7.6, 7.9, 8.4, 9.9, 12.5]);
  const merged = mergeResults(old, fresh);
  assert.deepEqual(Object.keys(merged.figures), FIGURES);
  assert.deepEqual(merged.figures.startup, fresh.figures.startup);
  for (const name of FIGURES.filter((n) => n !== 'startup')) {
    assert.deepEqual(merged.figures[name], old.figures[name], name);
    assert.deepEqual(merged.measured[name], old.measured[name], name);
  }
  assert.equal(merged.measured.startup.date, FRESH_DATE);
  assert.deepEqual(merged.diagnosis, old.diagnosis, 'a run without diagnosis keeps the stored one');
  const md = renderMarkdown(merged);
  // Every section is still there, once; the kept ones name their run, the fresh one does not.
  for (const name of FIGURES.filter((n) => n !== 'startup')) assert.match(md, new RegExp(`--only ${name}\` measures it again`), name);
  assert.doesNotMatch(md, /--only startup` measures it again/);
  assert.equal(md.split('## 7. Cloudflare').length - 1, 1);
  // The fresh figure with its spread, judged on median and upper quartile.
  assert.match(md, /\| package \(node entry[^|]*\| 7\.60 \(7\.00–12\.50\) \|/);
  assert.match(md, /7\.60 ms median, 8\.40 ms upper quartile \| \*\*borderline\*\*/);
  // Merging is stable: the same run merged again changes nothing.
  assert.deepEqual(mergeResults(merged, fresh), merged);
});

test('--only takes known figure names only', () => {
  assert.deepEqual([...figuresToRun([])], FIGURES);
  assert.deepEqual([...figuresToRun(['--only', 'size,cloudflare'])], ['size', 'cloudflare']);
  assert.throws(() => figuresToRun(['--only', 'sizes']), /--only takes some of size,startup/);
  assert.throws(() => figuresToRun(['--only']), /--only takes/);
});

test('a timed target is met only when its median and its upper quartile are', () => {
  assert.equal(verdict(8, 7, 7.9), 'met');
  assert.equal(verdict(8, 7.9, 8.1), 'borderline');
  assert.equal(verdict(8, 8.1, 8.2), 'missed');
  assert.equal(verdict(8, NaN, 1), 'missed');
  const s = summary([5, 1, 4, 2, 3]);
  assert.deepEqual([s.min, s.p25, s.median, s.p75, s.max, s.n], [1, 2, 3, 4, 5, 5]);
});
