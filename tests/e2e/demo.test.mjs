// End-to-end test of the demo page (www/) in Debian's headless Chromium, against the mock API
// started in-process, which also serves www/ at / and the built package (pkg/) at /pkg/
// (tests/e2e/harness.mjs). Run: node --test tests/e2e/   (needs pkg/: bash scripts/build.sh)
// Screenshots of each state go to tests/screenshots/ (gitignored).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startMock, SEEDED, TOKEN } from '../helpers/mock.mjs';
import { demoHarness, ROOT, ready, shot, text, tile, saved, generate, imageSizes, pictureDiff } from './harness.mjs';

const LIVE_TOKEN = 'user:777-e2e-live-token';
const { mock, openDemo, genPosts, upscalePosts } = demoHarness();

test('the page loads the package and sends nothing until asked', async (t) => {
  const page = await openDemo(t);
  await ready(page);
  assert.ok(await page.isHidden('#pick'));
  assert.ok(await page.isHidden('#compare'));
  for (const [id, words] of Object.entries({
    upscaleResolution: ['2k, 4k or 8k', 'default 4k'], originalImageStrength: ['0–1', 'default 0.65'],
    detailStrength: ['0–1', 'default 0.5'], maxJobs: ['1–50'], concurrency: ['1–50', 'default 10'], prompt: ['1600'],
  })) {
    const hint = await text(page, `#${id}-hint`).catch(() => '');
    for (const w of words) assert.ok(hint.includes(w), `${id} hint "${hint}" lacks "${w}"`);
  }
  assert.deepEqual(page.pageErrors, []);
  assert.equal(mock.requests().length, 0, 'loading the page sends no API request');
  await shot(page, '01-initial');
});

test('generate, then upscale one image: progress, thumbnails, before/after of the same picture', async (t) => {
  const page = await openDemo(t);
  await ready(page);
  await page.fill('#prompt', 'A frozen lake under snowy alps');
  await page.selectOption('#ratio', '4:3');
  await page.click('#generate');
  await page.waitForSelector('#gen-run[data-state="running"]');
  await page.waitForFunction(() => /^Generating · status “created” · \d+\.\d s · \d+ polls?$/.test(document.getElementById('gen-status').textContent));
  await shot(page, '02-generating');
  await page.waitForSelector('#gen-run[data-state="done"]', { timeout: 15_000 });
  const [post] = genPosts();
  assert.deepEqual(JSON.parse(post.body), { prompt: 'A frozen lake under snowy alps', ratio: '4:3' });
  const genId = await text(page, '#gen-jobid');
  assert.match(genId, /^j\d+i-u12345/);
  assert.match(await text(page, '#gen-status'), /^Completed · \d+\.\d s · [1-9]\d* polls?$/);

  // Four thumbnails of the generation, at the sizes the job reports.
  await page.waitForFunction(() => document.querySelectorAll('#gallery .tile').length === 4);
  for (let i = 0; i < 4; i++) {
    const s = await imageSizes(page, `${tile(i)} img`);
    assert.deepEqual(s.natural, [2304, 1728]); // the provider's 2k 4:3 size (seedream-4.6 default)
    assert.deepEqual(s.reported, [2304, 1728]);
  }
  await shot(page, '03-thumbnails');

  await page.selectOption('#upscaleResolution', '4k');
  await page.click(`${tile(1)} .upscale-one`);
  await page.waitForSelector(`${tile(1)}[data-state="running"]`);
  await page.waitForSelector(`${tile(1)}[data-state="done"]`, { timeout: 15_000 });
  const [up] = upscalePosts();
  assert.deepEqual(JSON.parse(up.body), { jobid: genId, imageIndex: 1, upscaleResolution: '4k', originalImageStrength: 0.65, detailStrength: 0.5 });
  assert.equal(upscalePosts().length, 1, 'only the one image');
  assert.equal(await page.getAttribute(tile(0), 'data-state'), 'idle');
  assert.match(await text(page, `${tile(1)} .tile-status`), /^Done · 4608 × 3456 · \d+\.\d s$/);

  // The comparison: the same picture, before and after, with sizes and a download link.
  await page.waitForSelector('#compare:not([hidden])');
  const before = await imageSizes(page, '#img-source');
  const afterSz = await imageSizes(page, '#img-upscaled');
  assert.deepEqual(before.natural, [2304, 1728]);
  assert.deepEqual(afterSz.natural, [4608, 3456]);
  assert.deepEqual(afterSz.reported, afterSz.natural, 'the picture has the size the job reports');
  assert.equal(await text(page, '#dims-upscaled'), '4608 × 3456 · 2× larger');
  assert.equal(await text(page, '#dims-source'), '2304 × 1728');
  assert.equal(await page.getAttribute('#dl-upscaled', 'href'), afterSz.src);
  assert.equal(await page.getAttribute('#dl-upscaled', 'download'), 'upscaled-4k.jpg');
  assert.equal(before.src, await page.getAttribute(`${tile(1)} img`, 'src'), 'before = the thumbnail that was upscaled');
  const same = await pictureDiff(page, '#img-source', '#img-upscaled');
  const other = await pictureDiff(page, `${tile(0)} img`, '#img-upscaled');
  assert.ok(same < 4, `before and after differ by ${same.toFixed(2)} per channel`);
  assert.ok(other > 3 * same, `another image differs by ${other.toFixed(2)}: the upscale is not a new pattern`);
  // The zoom shows a real detail (not blank) in both canvases.
  const zoomInk = await page.evaluate(() => ['zoom-before', 'zoom-after'].map((id) => {
    const d = document.getElementById(id).getContext('2d').getImageData(0, 0, 240, 240).data;
    let opaque = 0;
    for (let i = 3; i < d.length; i += 4) opaque += d[i] > 0;
    return opaque;
  }));
  assert.deepEqual(zoomInk, [240 * 240, 240 * 240]);
  await page.fill('#cmp-slider', '20');
  assert.equal(await page.evaluate(() => document.getElementById('cmp').style.getPropertyValue('--split')), '20%');
  const box = await page.locator('#cmp').boundingBox();
  await page.click('#cmp', { position: { x: box.width * 0.3, y: box.height * 0.6 } });
  assert.deepEqual(page.pageErrors, []);
  await shot(page, '04-compare');
});

test('Upscale all: a batch with progress per image, one failing item shown as failed, capacity respected', async (t) => {
  const page = await openDemo(t);
  await ready(page);
  await generate(page, 'Desert dunes at dusk [mock:fail-upscale=2]');
  await page.fill('#concurrency', '2');
  await page.selectOption('#upscaleResolution', '2k');
  await page.click('#upscale-all');
  // With concurrency 2, two images run while two wait in the queue.
  await page.waitForFunction(() => {
    const states = [...document.querySelectorAll('#gallery .tile')].map((li) => li.dataset.state);
    return states.filter((s) => s === 'running').length === 2 && states.filter((s) => s === 'queued').length === 2;
  });
  await shot(page, '05-batch-running');
  await page.waitForFunction(() => [...document.querySelectorAll('#gallery .tile')].every((li) => ['done', 'failed'].includes(li.dataset.state)), null, { timeout: 20_000 });
  const states = await page.$$eval('#gallery .tile', (lis) => lis.map((li) => li.dataset.state));
  assert.deepEqual(states, ['done', 'done', 'failed', 'done']);
  assert.equal(await text(page, `${tile(2)} .tile-status`), 'Failed · job_failed: fail_code: 2043');
  assert.match(await text(page, '#batch-status'), /^3 done · 0 running · 1 failed · \d+\.\d s$/);
  assert.equal(upscalePosts().length, 4, 'one POST per image, nothing repeated');
  assert.deepEqual(upscalePosts().map((p) => JSON.parse(p.body).imageIndex).sort(), [0, 1, 2, 3]);
  assert.equal(mock.jobsCreated(), 5, '1 generation + 4 upscales');
  assert.ok(mock.maxRunning() <= 2, `at most 2 running, saw ${mock.maxRunning()}`);
  // The first completed image is compared; the failed one cannot be.
  await page.waitForSelector('#compare:not([hidden])');
  await imageSizes(page, '#img-upscaled');
  assert.ok(await page.isDisabled(`${tile(2)} .thumb`));
  await page.click(`${tile(3)} .thumb`);
  await page.waitForFunction(() => document.getElementById('compare-which').textContent === 'image 4');
  await imageSizes(page, '#img-upscaled');
  assert.ok(await page.isEnabled('#upscale-all'));
  assert.deepEqual(page.pageErrors, []);
  await shot(page, '06-batch-one-failed');
});

test('Cancel in a batch: no submit after it, every created job keeps its id', async (t) => {
  const page = await openDemo(t);
  await ready(page);
  await generate(page, 'A green meadow');
  mock.setConfig({ completeAfterMs: 60_000 });
  await page.fill('#concurrency', '2');
  await page.click('#upscale-all');
  await page.waitForFunction(() => document.querySelectorAll('#gallery .tile[data-state="running"]').length === 2);
  await page.click('#batch-cancel');
  await page.waitForFunction(() => document.querySelectorAll('#gallery .tile[data-state="cancelled"]').length === 4);
  const posted = upscalePosts().length;
  assert.equal(posted, 2, 'only the two that had a free slot were submitted');
  await new Promise((r) => setTimeout(r, 1200));
  assert.equal(upscalePosts().length, posted, 'no submit after Cancel');
  const items = (await saved(page)).items;
  const created = upscalePosts().length;
  assert.equal(items.filter((it) => it.jobid).length, created, 'every created job is kept with its id');
  assert.equal(await text(page, `${tile(0)} .tile-status`), 'Cancelled: stopped waiting (the job may still finish)');
  assert.equal(await text(page, `${tile(3)} .tile-status`), 'Cancelled before it was sent: no job');
  assert.match(await text(page, '#batch-status'), /^0 done · 0 running · 4 cancelled/);
  assert.ok(await page.isEnabled('#upscale-all'));
  assert.deepEqual(page.pageErrors, []);
  await shot(page, '06b-batch-cancelled');
});

test('a reload picks up the upscale jobs in flight: no job created twice, none lost', async (t) => {
  const page = await openDemo(t);
  await ready(page);
  mock.setConfig({ completeAfterMs: 300 });
  await generate(page, 'Night sky over a lake');
  mock.setConfig({ completeAfterMs: 6000 });
  await page.click('#upscale-all');
  await page.waitForFunction(() => [...document.querySelectorAll('#gallery .tile')].every((li) => li.dataset.state === 'running'));
  const before = await saved(page);
  assert.equal(before.items.length, 4);
  const ids = before.items.map((it) => it.jobid);
  assert.ok(ids.every((id) => /^j\d+I-u12345/.test(id)), ids.join());
  assert.ok(!JSON.stringify(before).includes(TOKEN), 'no token saved');
  const created = mock.jobsCreated();
  assert.equal(created, 5);

  await page.reload();
  await ready(page);
  await page.waitForFunction(() => document.querySelectorAll('#gallery .tile[data-state="running"]').length === 4);
  assert.equal(await page.inputValue('#prompt'), 'Night sky over a lake', 'the prompt is shown again');
  await shot(page, '07-reloaded-running');
  await page.waitForFunction(() => document.querySelectorAll('#gallery .tile[data-state="done"]').length === 4, null, { timeout: 20_000 });
  assert.equal(mock.jobsCreated(), created, 'the reload created no job');
  assert.equal(upscalePosts().length, 4);
  const polled = new Set(mock.requests().filter((r) => r.method === 'GET' && r.jobid?.includes('I-')).map((r) => r.jobid));
  assert.deepEqual([...polled].sort(), [...ids].sort(), 'the reloaded page followed the saved job ids');
  const after = await saved(page);
  assert.deepEqual(after.items.map((it) => [it.state, it.jobid]), ids.map((id) => ['done', id]));
  await page.waitForSelector('#compare:not([hidden])');
  await imageSizes(page, '#img-upscaled');

  // A generation in flight is picked up again too.
  mock.setConfig({ completeAfterMs: 2500 });
  await page.fill('#prompt', 'Golden sunset');
  await page.click('#generate');
  await page.waitForFunction(() => JSON.parse(localStorage.getItem('dreamina-demo-jobs') ?? 'null')?.source?.done === false);
  const genId = (await saved(page)).source.jobid;
  await page.reload();
  await ready(page);
  await page.waitForSelector('#gen-run[data-state="running"]');
  assert.equal(await text(page, '#gen-jobid'), genId);
  await page.waitForSelector('#gen-run[data-state="done"]', { timeout: 15_000 });
  await page.waitForFunction(() => document.querySelectorAll('#gallery .tile[data-state="idle"]').length === 4);
  assert.equal(genPosts().length, 2, 'the generation was not submitted again');
  assert.deepEqual(page.pageErrors, []);
  await shot(page, '08-reloaded-generation');
});

test('options are checked as you type by the package, and nothing is sent', async (t) => {
  const page = await openDemo(t);
  await ready(page);
  await page.fill('#prompt', 'x'.repeat(1601));
  await page.waitForSelector('#prompt-error:has-text("1600")');
  await page.fill('#prompt', '');
  await page.waitForSelector('#prompt-error:has-text("prompt")');
  await page.click('#generate');
  await page.waitForSelector('#gen-run[data-state="error"]');
  assert.match(await text(page, '#gen-error'), /validation/);
  assert.match(await text(page, '#gen-status'), /^Not sent · /);
  assert.equal(mock.requests().length, 0, 'no request reached the API');

  await page.fill('#prompt', 'A meadow');
  await page.waitForSelector('#prompt-error:empty', { state: 'attached' });
  await page.click('.existing summary');
  await page.fill('#jobid', SEEDED.square);
  await page.click('#load');
  await page.waitForFunction(() => document.querySelectorAll('#gallery .tile').length === 4);
  await page.fill('#detailStrength', '1.5');
  await page.waitForSelector('#detailStrength-error:has-text("from 0 to 1")');
  await page.fill('#replyUrl', 'not a url');
  await page.waitForSelector('#replyUrl-error:has-text("http(s) URL")');
  await page.fill('#maxJobs', '51');
  await page.waitForSelector('#maxJobs-error:has-text("from 1 to 50")');
  await page.fill('#concurrency', '0');
  await page.waitForSelector('#concurrency-error:has-text("concurrency")');
  await page.fill('#detailStrength', '0.8');
  await page.waitForSelector('#detailStrength-error:empty', { state: 'attached' });
  assert.equal(await page.getAttribute('#detailStrength', 'aria-invalid'), 'false');
  await page.click('#upscale-all');
  await page.waitForSelector('#batch-error:not([hidden])');
  assert.match(await text(page, '#batch-error'), /validation/);
  assert.equal(await text(page, '#batch-status'), 'Not sent');
  assert.equal(upscalePosts().length, 0, 'no upscale request reached the API');
  assert.deepEqual(page.pageErrors, []);
  await shot(page, '09-validation');
});

test('a server error on Generate shows its kind and status; the POST is not retried', async (t) => {
  const page = await openDemo(t);
  await ready(page);
  mock.addFault({ method: 'POST', path: /\/images$/, status: 500, json: { error: 'Injected 500' }, times: -1 });
  await page.click('#generate');
  await page.waitForSelector('#gen-run[data-state="error"]');
  const box = await text(page, '#gen-error');
  assert.match(box, /server/);
  assert.match(box, /Injected 500/);
  assert.match(box, /status\s+500/);
  assert.equal(genPosts().length, 1);
  assert.equal(mock.jobsCreated(), 0);
  assert.equal(await saved(page), null, 'nothing to resume');
  assert.deepEqual(page.pageErrors, []);
  await shot(page, '10-server-error');
});

test('a failed generation shows job_failed; Cancel stops the wait and no request follows', async (t) => {
  const page = await openDemo(t);
  await ready(page);
  await page.fill('#prompt', 'Boom [mock:fail]');
  await page.click('#generate');
  await page.waitForSelector('#gen-run[data-state="error"]', { timeout: 15_000 });
  assert.match(await text(page, '#gen-error'), /job_failed[\s\S]*fail_code: 2043/);
  assert.ok(await page.isHidden('#pick'));

  mock.setConfig({ completeAfterMs: 60_000 });
  await page.fill('#prompt', 'A long one');
  await page.click('#generate');
  await page.waitForFunction(() => / [1-9]\d* polls?$/.test(document.getElementById('gen-status').textContent));
  await page.click('#gen-cancel');
  await page.waitForSelector('#gen-run[data-state="cancelled"]');
  assert.match(await text(page, '#gen-error'), /aborted/);
  const count = mock.requests().length;
  await new Promise((r) => setTimeout(r, 1200)); // more than two poll intervals
  assert.equal(mock.requests().length, count, 'no poll after Cancel');
  assert.ok(await page.isEnabled('#generate'));
  await shot(page, '11-cancelled');
});

test('useapi.net mode: token in memory only, or sessionStorage when asked; sent as Bearer; never saved with the jobs', async (t) => {
  const page = await openDemo(t);
  await ready(page);
  await page.check('input[name="mode"][value="live"]');
  // Without a token the client refuses to start, naming the field.
  await page.click('#generate');
  await page.waitForSelector('#gen-run[data-state="error"]');
  assert.match(await text(page, '#gen-error'), /validation/);
  assert.match(await text(page, '#token-error'), /token/);

  await page.fill('#token', LIVE_TOKEN);
  const storage = () => page.evaluate(() => ({ local: { ...localStorage }, session: { ...sessionStorage }, url: location.href }));
  let s = await storage();
  assert.deepEqual(s.local, {});
  assert.deepEqual(s.session, {});
  await page.check('#remember');
  s = await storage();
  assert.deepEqual(Object.values(s.session), [LIVE_TOKEN]);

  // Route the real API host to the mock, to check what the page sends there.
  mock.setConfig({ tokens: [TOKEN, LIVE_TOKEN], completeAfterMs: 500 });
  await page.route('https://api.useapi.net/**', async (route) => {
    const url = route.request().url().replace('https://api.useapi.net', mock.url);
    await route.fulfill({ response: await route.fetch({ url }) });
  });
  await page.click('#generate');
  await page.waitForSelector('#gen-cancel:visible');
  await page.waitForTimeout(3_000);
  const [post] = genPosts();
  assert.equal(post.headers.authorization, `Bearer ${LIVE_TOKEN}`);
  // The real API gets the package's default schedule, not the sandbox's 500 ms.
  assert.equal(mock.requests().filter((r) => r.method === 'GET').length, 0, 'no poll within 3 s');
  s = await storage();
  assert.ok(!JSON.stringify(s.local).includes(LIVE_TOKEN), 'the token is never saved with the jobs');
  assert.equal(JSON.parse(s.local['dreamina-demo-jobs']).mode, 'live');

  // Reload: the tab remembers the token and picks the generation up against the real host.
  await page.reload();
  await ready(page);
  assert.ok(await page.isChecked('input[name="mode"][value="live"]'));
  assert.equal(await page.inputValue('#token'), LIVE_TOKEN);
  await page.waitForSelector('#gen-run[data-state="done"]', { timeout: 15_000 });
  await page.waitForFunction(() => document.querySelectorAll('#gallery .tile').length === 4);
  assert.equal(genPosts().length, 1);
  await page.uncheck('#remember');
  s = await storage();
  assert.deepEqual(s.session, {});
  assert.ok(!page.consoleText.some((line) => line.includes(LIVE_TOKEN)), 'the token never reaches the console');
  assert.deepEqual(page.pageErrors, []);
  await shot(page, '12-live-mode');
});

test('phone width (375px): the whole flow, no horizontal scroll', async (t) => {
  const page = await openDemo(t, { width: 375, height: 812 });
  await ready(page);
  await shot(page, '13-phone-form');
  await generate(page, 'Snowy mountains [mock:fail-upscale=3]');
  await page.selectOption('#upscaleResolution', '2k');
  await page.click('#upscale-all');
  await page.waitForFunction(() => [...document.querySelectorAll('#gallery .tile')].every((li) => ['done', 'failed'].includes(li.dataset.state)), null, { timeout: 20_000 });
  assert.deepEqual(await page.$$eval('#gallery .tile', (lis) => lis.map((li) => li.dataset.state)), ['done', 'done', 'done', 'failed']);
  await page.waitForSelector('#compare:not([hidden])');
  await imageSizes(page, '#img-upscaled');
  const layout = await page.evaluate(() => {
    const box = (sel) => document.querySelector(sel).getBoundingClientRect();
    return { scrollWidth: document.documentElement.scrollWidth, t0: box('#gallery .tile[data-index="0"]'), t2: box('#gallery .tile[data-index="2"]'), cmp: box('#cmp') };
  });
  assert.ok(layout.scrollWidth <= 375, `page is ${layout.scrollWidth}px wide`);
  assert.ok(layout.t2.top >= layout.t0.bottom, 'thumbnails wrap to two columns');
  assert.ok(layout.cmp.width > 300, 'the comparison uses the phone\'s width');
  await shot(page, '14-phone-completed');
});

test('without the package the page says so instead of staying blank', async (t) => {
  const bare = await startMock({ static: [{ dir: path.join(ROOT, 'www'), prefix: '/' }] });
  t.after(() => bare.close());
  const page = await openDemo(t, { url: `${bare.url}/` });
  await page.waitForSelector('#boot-error:visible', { timeout: 10_000 });
  assert.match(await text(page, '#boot-error'), /scripts\/build\.sh/);
  assert.ok(await page.isDisabled('#generate'), 'a dead form is switched off');
  await shot(page, '15-boot-error');
});

test('a fault while resuming saved jobs reaches the boot-error box, not just the console', async (t) => {
  const page = await openDemo(t);
  await ready(page);
  // Saved by some other version of the page: a mode this one does not have.
  await page.evaluate(() => localStorage.setItem('dreamina-demo-jobs', JSON.stringify({
    v: 1, mode: 'staging', source: { jobid: 'j-saved', done: true, prompt: 'A lake' }, items: [], selected: null,
  })));
  await page.reload();
  await page.waitForSelector('#boot-error:visible', { timeout: 10_000 });
  assert.match(await text(page, '#boot-error'), /failed to start/);
  assert.ok(await page.isDisabled('#generate'), 'a page that failed to start is switched off');
  assert.equal(mock.requests().length, 0, 'nothing was sent');
  await shot(page, '16-resume-error');
});
