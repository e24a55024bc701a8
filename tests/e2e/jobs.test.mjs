// The demo's controls over the provider's jobs and account in headless Chromium: the current
// model list and a model's refusal shown readably, Cancel job on a running generation and on a
// running upscale (client.cancel), and the first account's credits (listAccounts, getAccount),
// in the sandbox and with a token against useapi.net (routed to the mock).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TOKEN } from '../helpers/mock.mjs';
import { KNOWN_MODELS, DEFAULT_MODEL } from '../mock/models.mjs';
import { demoHarness, ready, shot, text, tile, saved, generate } from './harness.mjs';

const LIVE_TOKEN = 'user:778-e2e-credits-token';
const { mock, openDemo, genPosts, upscalePosts } = demoHarness();
const cancels = () => mock.requests().filter((r) => r.method === 'DELETE' && r.path.includes('/scheduler/'));

test('the model list is the provider\'s, its default sent as no model; a refused combination names the field', async (t) => {
  const page = await openDemo(t);
  await ready(page);
  // Every model of the provider's table (the mock's copy), the default first as "no model".
  const models = await page.$$eval('#model option', (os) => os.map((o) => [o.value, o.textContent]));
  assert.deepEqual(models[0], ['', `${DEFAULT_MODEL} (default)`]);
  assert.deepEqual([DEFAULT_MODEL, ...models.slice(1).map(([v]) => v)].sort(), [...KNOWN_MODELS].sort());
  assert.match(await text(page, '#model-hint'), /2k or 4k/);
  await page.selectOption('#model', 'seedream-3.0');
  assert.match(await text(page, '#model-hint'), /every ratio but auto/);

  // seedream-3.0 takes no auto ratio: the API refuses it before creating anything.
  await page.selectOption('#ratio', 'auto');
  await page.click('#generate');
  await page.waitForSelector('#gen-run[data-state="error"]');
  assert.equal(genPosts().length, 1, 'sent once, not retried');
  assert.equal(mock.jobsCreated(), 0);
  assert.match(await text(page, '#gen-status'), /^Refused by the API · /);
  const box = await text(page, '#gen-error');
  assert.match(box, /Refused by the API: nothing was created/);
  assert.match(box, /Parameter ratio \(auto\) is not supported by model seedream-3\.0\. Valid values: 1:1/);
  assert.match(box, /status\s+400/);
  await shot(page, '23-model-refused');

  await page.selectOption('#ratio', '16:9');
  await page.selectOption('#resolution', '2k');
  await generate(page, 'A harbour at dawn');
  assert.deepEqual(JSON.parse(genPosts()[1].body), { prompt: 'A harbour at dawn', model: 'seedream-3.0', ratio: '16:9', resolution: '2k' });
  assert.deepEqual(page.pageErrors, []);
});

test('Cancel job: a running generation and a running upscale are cancelled on the server', async (t) => {
  const page = await openDemo(t);
  await ready(page);
  mock.setConfig({ completeAfterMs: 60_000 });
  await page.fill('#prompt', 'A slow one');
  await page.click('#generate');
  await page.waitForSelector('#gen-cancel-job:visible');
  const genId = await text(page, '#gen-jobid');
  await shot(page, '24-generation-cancel-button');
  await page.click('#gen-cancel-job');
  await page.waitForSelector('#gen-run[data-state="cancelled"]');
  assert.deepEqual(cancels().map((r) => r.jobid), [genId], 'one DELETE /scheduler/{jobid}');
  assert.match(await text(page, '#gen-status'), /^Cancelled by user · /);
  const box = await text(page, '#gen-error');
  assert.match(box, /Cancelled: the job was stopped on the server/);
  assert.match(box, /job error\s+Cancelled by user/);
  assert.ok(await page.isHidden('#gen-cancel-job'));
  assert.ok(await page.isEnabled('#generate'));
  assert.equal(await saved(page), null, 'a cancelled generation is not resumed');
  const count = mock.requests().length;
  await new Promise((r) => setTimeout(r, 1200)); // more than two poll intervals
  assert.equal(mock.requests().length, count, 'no poll after the cancel');
  await shot(page, '25-generation-cancelled');

  mock.setConfig({ completeAfterMs: 300 });
  await generate(page, 'A quick one');
  mock.setConfig({ completeAfterMs: 60_000 });
  await page.click(`${tile(1)} .upscale-one`);
  await page.waitForFunction((sel) => {
    const b = document.querySelector(sel);
    return b.textContent === 'Cancel job' && !b.disabled;
  }, `${tile(1)} .upscale-one`);
  const [up] = upscalePosts();
  assert.ok(await page.isDisabled(`${tile(0)} .upscale-one`), 'the others wait for the batch');
  await page.click(`${tile(1)} .upscale-one`);
  await page.waitForSelector(`${tile(1)}[data-state="cancelled"]`);
  assert.equal(await text(page, `${tile(1)} .tile-status`), 'Cancelled by user: the job was stopped');
  assert.equal(cancels().length, 2);
  assert.match(cancels()[1].jobid, /^j\d+I-u12345/);
  // The batch ends on its own (its wait sees the cancelled job), and nothing is sent again.
  await page.waitForFunction(() => !document.getElementById('upscale-all').disabled);
  assert.match(await text(page, '#batch-status'), /^0 done · 0 running · 1 cancelled/);
  assert.equal(upscalePosts().length, 1);
  assert.equal(JSON.parse(up.body).imageIndex, 1);
  const item = (await saved(page)).items[1];
  assert.deepEqual([item.state, item.jobid, item.error.jobError], ['cancelled', cancels()[1].jobid, 'Cancelled by user']);
  assert.equal(await text(page, `${tile(1)} .upscale-one`), 'Upscale', 'it can be upscaled again');
  assert.deepEqual(page.pageErrors, []);
  await shot(page, '26-upscale-cancelled');
});

test('a cancel the API refuses is shown, and the job goes on', async (t) => {
  const page = await openDemo(t);
  await ready(page);
  mock.setConfig({ completeAfterMs: 4000 });
  // As when the job ended just before the DELETE arrived.
  mock.addFault({ method: 'DELETE', path: '/scheduler/', status: 404, json: { error: 'Unable to locate running jobid' } });
  await page.fill('#prompt', 'A lake that finishes');
  await page.click('#generate');
  await page.waitForSelector('#gen-cancel-job:visible');
  await page.click('#gen-cancel-job');
  await page.waitForSelector('#gen-error:not([hidden])');
  assert.match(await text(page, '#gen-error'), /not_found[\s\S]*Unable to locate running jobid/);
  assert.match(await text(page, '#gen-status'), /^Generating · could not cancel · /);
  assert.equal(cancels().length, 1);
  await page.waitForSelector('#gen-run[data-state="done"]', { timeout: 15_000 });
  assert.ok(await page.isHidden('#gen-error'), 'the refusal is cleared once the job completed');
  await page.waitForFunction(() => document.querySelectorAll('#gallery .tile').length === 4);
  assert.deepEqual(page.pageErrors, []);
});

test('credits: the first account\'s, on request, after each generation, and with a token on useapi.net', async (t) => {
  const page = await openDemo(t);
  await ready(page);
  assert.equal(mock.requests().length, 0, 'nothing read until asked');
  await page.click('#credits-check');
  await page.waitForSelector('#credits[data-state="ok"]');
  assert.match(await text(page, '#credits'), /^660 credits \(vip 600 · gift 60\) · US:user@example\.com · session \d+ days? left$/);
  assert.deepEqual(mock.requests().map((r) => `${r.method} ${r.path}`), ['GET /v1/dreamina/accounts', 'GET /v1/dreamina/accounts/US%3Auser%40example.com']);

  // seedream-4.5 costs the mock 4 credits: read again once the generation is done.
  await page.selectOption('#model', 'seedream-4.5');
  await generate(page, 'A costly lake');
  await page.waitForFunction(() => document.getElementById('credits').textContent.startsWith('656 credits'));
  assert.match(await text(page, '#credits'), /^656 credits \(vip 600 · gift 56\)/);
  await shot(page, '27-credits');

  // Another API: its own account. With a token, on the real host (routed to the mock).
  await page.check('input[name="mode"][value="live"]');
  assert.equal(await page.getAttribute('#credits', 'data-state'), null, 'cleared');
  await page.click('#credits-check');
  await page.waitForSelector('#credits[data-state="error"]');
  assert.match(await text(page, '#credits'), /validation.*token/);
  mock.setConfig({ tokens: [TOKEN, LIVE_TOKEN] });
  await page.route('https://api.useapi.net/**', async (route) => {
    const url = route.request().url().replace('https://api.useapi.net', mock.url);
    await route.fulfill({ response: await route.fetch({ url }) });
  });
  await page.fill('#token', LIVE_TOKEN);
  const before = mock.requests().length;
  await page.click('#credits-check');
  await page.waitForSelector('#credits[data-state="ok"]');
  const sent = mock.requests().slice(before);
  assert.deepEqual(sent.map((r) => r.headers.authorization), [`Bearer ${LIVE_TOKEN}`, `Bearer ${LIVE_TOKEN}`]);
  assert.match(await text(page, '#credits'), /^656 credits .* US:user@example\.com/);
  assert.deepEqual(page.pageErrors, []);
});
