// End-to-end test of the demo page (www/) in Debian's headless Chromium, against the mock API
// started in-process, which also serves www/ at / and the built package (pkg/) at /pkg/.
// Run: node --test tests/e2e/   (needs pkg/: bash scripts/build.sh)
// Screenshots of each state go to tests/screenshots/ (gitignored).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startMock, SEEDED } from '../mock/server.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SHOTS = path.join(ROOT, 'tests', 'screenshots');
const LIVE_TOKEN = 'user:777-e2e-live-token';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let mock;
let browser;

before(async () => {
  // A missing build must fail loudly, not be skipped.
  assert.ok(fs.existsSync(path.join(ROOT, 'pkg', 'browser.mjs')), 'pkg/ is missing: run bash scripts/build.sh first');
  fs.mkdirSync(SHOTS, { recursive: true });
  mock = await startMock({
    static: [{ dir: path.join(ROOT, 'www'), prefix: '/' }, { dir: path.join(ROOT, 'pkg'), prefix: '/pkg/' }],
    completeAfterMs: 1500,
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await mock?.close();
});

/** A fresh page on the demo; records console text and page errors so tests can assert on them. */
async function openDemo(t, { width = 1100, height = 900, url = `${mock.url}/` } = {}) {
  mock.reset();
  const context = await browser.newContext({ viewport: { width, height } });
  const page = await context.newPage();
  page.consoleText = [];
  page.pageErrors = [];
  page.on('console', (m) => page.consoleText.push(m.text()));
  page.on('pageerror', (e) => page.pageErrors.push(e.message));
  t.after(() => context.close());
  await page.goto(url);
  return page;
}

async function ready(page) {
  await page.waitForSelector('html[data-ready="1"]', { timeout: 10_000 });
}

const shot = (page, name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
const upscalePosts = () => mock.requests().filter((r) => r.method === 'POST' && r.path.endsWith('/images/upscale'));
const text = (page, sel) => page.locator(sel).innerText();

async function waitState(page, state, timeout = 10_000) {
  await page.waitForSelector(`#run[data-state="${state}"]`, { timeout });
}

/** Waits until an <img> has loaded and returns its natural size and the size the page reported. */
async function imageSizes(page, id) {
  await page.waitForFunction((i) => {
    const img = document.getElementById(i);
    return img.complete && img.naturalWidth > 0;
  }, id, { timeout: 15_000 });
  return page.evaluate((i) => {
    const img = document.getElementById(i);
    return { natural: [img.naturalWidth, img.naturalHeight], reported: [Number(img.dataset.width), Number(img.dataset.height)], src: img.src };
  }, id);
}

test('the page loads the package and pre-fills the mock\'s seeded source jobs', async (t) => {
  const page = await openDemo(t);
  await ready(page);
  assert.equal(await page.inputValue('#jobid'), SEEDED.square);
  await page.selectOption('#source', 'wide');
  assert.equal(await page.inputValue('#jobid'), SEEDED.wide);
  await page.selectOption('#source', 'failing');
  assert.equal(await page.inputValue('#jobid'), SEEDED.failing);
  // Every option shows its range and default.
  for (const [id, words] of Object.entries({
    imageIndex: ['0–3', 'default 0'], upscaleResolution: ['2k, 4k or 8k', 'default 4k'],
    originalImageStrength: ['0–1', 'default 0.65'], detailStrength: ['0–1', 'default 0.5'], maxJobs: ['1–50'],
  })) {
    const hint = await text(page, `#${id}-hint`);
    for (const w of words) assert.ok(hint.includes(w), `${id} hint "${hint}" lacks "${w}"`);
  }
  assert.deepEqual(page.pageErrors, []);
  assert.equal(mock.requests().length, 0, 'loading the page sends no API request');
  await shot(page, '01-initial');
});

test('an upscale runs to completion and shows both images at their reported sizes', async (t) => {
  const page = await openDemo(t);
  await ready(page);
  await page.selectOption('#source', 'wide');
  await page.fill('#imageIndex', '2');
  await page.selectOption('#upscaleResolution', '2k');
  await page.fill('#maxJobs', '5');
  await page.click('#submit');
  await page.waitForSelector('#cancel:visible');
  await waitState(page, 'done');

  const [post] = upscalePosts();
  assert.deepEqual(JSON.parse(post.body), {
    jobid: SEEDED.wide, imageIndex: 2, upscaleResolution: '2k', originalImageStrength: 0.65, detailStrength: 0.5, maxJobs: 5,
  });
  const jobid = await text(page, '#run-jobid');
  assert.match(jobid, /^j\d+I-u12345/);
  // The status line counts the polls the package made: one per GET of the job.
  const polls = mock.requests().filter((r) => r.method === 'GET' && r.jobid === jobid).length;
  const status = await text(page, '#status');
  assert.match(status, new RegExp(`^Completed · \\d+\\.\\d s · ${polls} polls?$`));
  assert.ok(polls >= 2, `with 500 ms polls a 1.5 s job takes several polls, saw ${polls}`);

  const up = await imageSizes(page, 'img-upscaled');
  assert.deepEqual(up.natural, up.reported);
  assert.deepEqual(up.reported, [2048, 1536]);
  assert.equal(await text(page, '#dims-upscaled'), '2048 × 1536 · 2× larger');
  assert.equal(await text(page, '#dims-source'), '1024 × 768');
  const src = await imageSizes(page, 'img-source');
  assert.deepEqual(src.natural, [1024, 768]);
  assert.deepEqual(src.reported, [1024, 768]);
  assert.match(src.src, /gen-wide-2\.png/, 'the source is image #imageIndex of the generation job');
  assert.equal(await page.getAttribute('#dl-upscaled', 'href'), up.src);
  assert.ok(await page.isHidden('#error'));
  assert.ok(await page.isHidden('#cancel'));
  assert.deepEqual(page.pageErrors, []);
  await shot(page, '02-completed');
});

test('options are checked as you type by the package, and nothing is sent', async (t) => {
  const page = await openDemo(t);
  await ready(page);
  await page.fill('#imageIndex', '7');
  await page.waitForSelector('#imageIndex-error:has-text("imageIndex")');
  assert.equal(await text(page, '#imageIndex-error'), 'Invalid imageIndex: must be an integer from 0 to 3, got number 7');
  assert.equal(await page.getAttribute('#imageIndex', 'aria-invalid'), 'true');
  await page.fill('#detailStrength', '1.5');
  await page.waitForSelector('#detailStrength-error:has-text("from 0 to 1")');
  await page.fill('#replyUrl', 'not a url');
  await page.waitForSelector('#replyUrl-error:has-text("http(s) URL")');
  await page.fill('#maxJobs', '51');
  await page.waitForSelector('#maxJobs-error:has-text("from 1 to 50")');
  // A valid value clears the message (the check then ends "aborted", meaning valid).
  await page.fill('#detailStrength', '0.8');
  await page.waitForSelector('#detailStrength-error:empty', { state: 'attached' });
  assert.equal(await page.getAttribute('#detailStrength', 'aria-invalid'), 'false');
  await page.fill('#maxJobs', '');
  await page.fill('#replyUrl', '');
  await page.fill('#jobid', '   ');
  await page.waitForSelector('#jobid-error:has-text("must not be empty")');
  await page.selectOption('#source', 'square');
  await page.waitForSelector('#jobid-error:empty', { state: 'attached' });

  await page.click('#submit');
  await waitState(page, 'error');
  assert.equal(await text(page, '#error-kind'), 'validation');
  assert.match(await text(page, '#error-message'), /imageIndex.*0 to 3/);
  assert.match(await text(page, '#error-meta'), /field\s+imageIndex/);
  assert.match(await text(page, '#status'), /^Not sent · /);
  await shot(page, '03-validation');
  assert.equal(upscalePosts().length, 0, 'no upscale request reached the API');
  assert.equal(mock.requests().length, 0, 'no request at all reached the API');
  assert.deepEqual(page.pageErrors, []);
});

test('a server error shows its kind and status; the POST is not retried', async (t) => {
  const page = await openDemo(t);
  await ready(page);
  mock.addFault({ method: 'POST', path: '/images/upscale', status: 500, json: { error: 'Injected 500' }, times: -1 });
  await page.click('#submit');
  await waitState(page, 'error');
  assert.equal(await text(page, '#error-kind'), 'server');
  assert.match(await text(page, '#error-message'), /Injected 500/);
  assert.match(await text(page, '#error-meta'), /status\s+500/);
  assert.equal(await text(page, '#run-jobid'), '—');
  assert.equal(upscalePosts().length, 1);
  assert.equal(mock.jobsCreated(), 0);
  assert.deepEqual(page.pageErrors, []);
  await shot(page, '04-server-error');
});

test('a failed job shows kind job_failed with the API\'s reason', async (t) => {
  const page = await openDemo(t);
  await ready(page);
  await page.selectOption('#source', 'failing');
  await page.click('#submit');
  await waitState(page, 'error');
  assert.equal(await text(page, '#error-kind'), 'job_failed');
  const meta = await text(page, '#error-meta');
  assert.match(meta, /fail_code: 2043/);
  assert.match(meta, /jobid\s+j\d+I-/);
  assert.ok(await page.isHidden('#result'));
  await shot(page, '05-job-failed');
});

test('Cancel aborts the wait and no request follows', async (t) => {
  const page = await openDemo(t);
  await ready(page);
  mock.setConfig({ completeAfterMs: 60_000 });
  await page.click('#submit');
  await page.waitForFunction(() => / [1-9]\d* polls?$/.test(document.getElementById('status').textContent));
  await page.click('#cancel');
  await waitState(page, 'cancelled');
  assert.equal(await text(page, '#error-kind'), 'aborted');
  const jobid = await text(page, '#run-jobid');
  assert.match(await text(page, '#error-meta'), new RegExp(`jobid\\s+${jobid.slice(0, 20)}`));
  assert.match(await text(page, '#status'), /^Cancelled · /);
  const count = mock.requests().length;
  await new Promise((r) => setTimeout(r, 1200)); // more than two poll intervals
  assert.equal(mock.requests().length, count, 'no poll after Cancel');
  assert.ok(await page.isEnabled('#submit'));
  await shot(page, '06-cancelled');
});

test('useapi.net mode: token in memory only, or sessionStorage when asked; sent as Bearer', async (t) => {
  const page = await openDemo(t);
  await ready(page);
  await page.check('input[name="mode"][value="live"]');
  assert.equal(await page.inputValue('#jobid'), '', 'the sandbox jobid is not kept for the real API');
  // Without a token the client refuses to start, naming the field.
  await page.fill('#jobid', SEEDED.square);
  await page.click('#submit');
  await waitState(page, 'error');
  assert.equal(await text(page, '#error-kind'), 'validation');
  assert.match(await text(page, '#token-error'), /token/);

  await page.fill('#token', LIVE_TOKEN);
  const storage = () => page.evaluate(() => ({ local: localStorage.length, session: { ...sessionStorage }, url: location.href }));
  let s = await storage();
  assert.equal(s.local, 0);
  assert.deepEqual(s.session, {});
  assert.ok(!s.url.includes('777'));
  await page.check('#remember');
  s = await storage();
  assert.deepEqual(Object.values(s.session), [LIVE_TOKEN]);
  assert.equal(s.local, 0);

  // Route the real API host to the mock, to check what the page sends there.
  mock.setConfig({ tokens: ['user:12345-sandbox', LIVE_TOKEN] });
  await page.route('https://api.useapi.net/**', async (route) => {
    const url = route.request().url().replace('https://api.useapi.net', mock.url);
    await route.fulfill({ response: await route.fetch({ url }) });
  });
  mock.setConfig({ completeAfterMs: 500 });
  await page.click('#submit');
  await page.waitForSelector('#cancel:visible');
  await page.waitForTimeout(3_000);
  const [post] = upscalePosts();
  assert.equal(post.headers.authorization, `Bearer ${LIVE_TOKEN}`);
  // The real API gets the package's default schedule (first poll 25 s after the POST), not
  // the sandbox's 500 ms: nothing is polled in the first 3 s. Then cancel rather than wait.
  assert.equal(mock.requests().filter((r) => r.method === 'GET').length, 0, 'no poll within 3 s');
  await page.click('#cancel');
  await waitState(page, 'cancelled');

  // Reload: the tab remembers; unticking forgets.
  await page.reload();
  await ready(page);
  assert.ok(await page.isChecked('input[name="mode"][value="live"]'));
  assert.equal(await page.inputValue('#token'), LIVE_TOKEN);
  await page.uncheck('#remember');
  s = await storage();
  assert.deepEqual(s.session, {});
  assert.ok(!page.consoleText.some((line) => line.includes(LIVE_TOKEN)), 'the token never reaches the console');
  assert.deepEqual(page.pageErrors, []);
  await shot(page, '07-live-mode');
});

test('phone width (375px): no horizontal scroll, images stacked', async (t) => {
  const page = await openDemo(t, { width: 375, height: 812 });
  await ready(page);
  await shot(page, '08-phone-form');
  await page.fill('#imageIndex', '9');
  await page.waitForSelector('#imageIndex-error:has-text("0 to 3")');
  await page.fill('#imageIndex', '0');
  await page.selectOption('#upscaleResolution', '2k');
  await page.click('#submit');
  await waitState(page, 'done');
  await imageSizes(page, 'img-upscaled');
  await imageSizes(page, 'img-source');
  const layout = await page.evaluate(() => {
    const box = (id) => document.getElementById(id).getBoundingClientRect();
    return { scrollWidth: document.documentElement.scrollWidth, source: box('fig-source'), upscaled: box('fig-upscaled') };
  });
  assert.ok(layout.scrollWidth <= 375, `page is ${layout.scrollWidth}px wide`);
  assert.ok(layout.upscaled.top >= layout.source.bottom, 'figures stack on a phone');
  assert.ok(layout.source.width > 300, 'images use the phone\'s width');
  await shot(page, '09-phone-completed');
});

test('without the package the page says so instead of staying blank', async (t) => {
  const bare = await startMock({ static: [{ dir: path.join(ROOT, 'www'), prefix: '/' }] });
  t.after(() => bare.close());
  const page = await openDemo(t, { url: `${bare.url}/` });
  await page.waitForSelector('#boot-error:visible', { timeout: 10_000 });
  assert.match(await text(page, '#boot-error'), /scripts\/build\.sh/);
  assert.ok(await page.isDisabled('#submit'), 'a dead form is switched off');
  await shot(page, '10-boot-error');
});
