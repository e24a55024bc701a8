// What every demo test file shares: the mock API started for the file (serving www/ at / and
// the built package, pkg/, at /pkg/), Debian's headless Chromium, a fresh page per test, and
// the helpers that read the page. Screenshots go to tests/screenshots/ (gitignored).

import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { mockPerFile, posts as postsOf } from '../helpers/mock.mjs';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SHOTS = path.join(ROOT, 'tests', 'screenshots');
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** The file's mock and browser (started before its tests, closed after), and the helpers. */
export function demoHarness(mockOptions = {}) {
  const mock = mockPerFile({
    static: [{ dir: path.join(ROOT, 'www'), prefix: '/' }, { dir: path.join(ROOT, 'pkg'), prefix: '/pkg/' }],
    completeAfterMs: 1500,
    ...mockOptions,
  });
  let browser;

  before(async () => {
    // A missing build must fail loudly, not be skipped.
    assert.ok(fs.existsSync(path.join(ROOT, 'pkg', 'browser.mjs')), 'pkg/ is missing: run bash scripts/build.sh first');
    fs.mkdirSync(SHOTS, { recursive: true });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });
  after(() => browser?.close());

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

  const posts = (suffix) => postsOf(mock, suffix);
  return {
    mock,
    openDemo,
    posts,
    genPosts: () => posts('/v1/dreamina/images'),
    upscalePosts: () => posts('/images/upscale'),
  };
}

export const ready = (page) => page.waitForSelector('html[data-ready="1"]', { timeout: 10_000 });
export const shot = (page, name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
export const text = (page, sel) => page.locator(sel).innerText();
export const tile = (i) => `#gallery .tile[data-index="${i}"]`;
export const saved = (page) => page.evaluate(() => JSON.parse(localStorage.getItem('dreamina-demo-jobs') ?? 'null'));

/** Types a prompt, clicks Generate and waits until the thumbnails are there. */
export async function generate(page, prompt, { count = 4 } = {}) {
  await page.fill('#prompt', prompt);
  await page.click('#generate');
  await page.waitForSelector('#gen-run[data-state="done"]', { timeout: 15_000 });
  await page.waitForFunction((n) => document.querySelectorAll('#gallery .tile').length === n, count);
}

/** Waits until an <img> has loaded; returns its natural size and the size the page reported. */
export async function imageSizes(page, selector) {
  await page.waitForFunction((s) => {
    const img = document.querySelector(s);
    return img && img.complete && img.naturalWidth > 0;
  }, selector, { timeout: 20_000 });
  return page.evaluate((s) => {
    const img = document.querySelector(s);
    return { natural: [img.naturalWidth, img.naturalHeight], reported: [Number(img.dataset.width), Number(img.dataset.height)], src: img.src };
  }, selector);
}

/** Mean per-channel difference of two loaded <img>s, both shrunk to 48x48 in the page; with
 * `mirror`, the first is drawn mirrored left to right. */
export function pictureDiff(page, a, b, { mirror = false } = {}) {
  return page.evaluate(([sa, sb, flip]) => {
    const c = document.createElement('canvas');
    c.width = c.height = 48;
    const ctx = c.getContext('2d');
    const px = (img, mirrored) => {
      ctx.setTransform(mirrored ? -1 : 1, 0, 0, 1, mirrored ? 48 : 0, 0);
      ctx.clearRect(0, 0, 48, 48);
      ctx.drawImage(img, 0, 0, 48, 48);
      return ctx.getImageData(0, 0, 48, 48).data;
    };
    const [pa, pb] = [px(document.querySelector(sa), flip), px(document.querySelector(sb), false)];
    let sum = 0;
    for (let i = 0; i < pa.length; i += 4) sum += Math.abs(pa[i] - pb[i]) + Math.abs(pa[i + 1] - pb[i + 1]) + Math.abs(pa[i + 2] - pb[i + 2]);
    return sum / (48 * 48 * 3);
  }, [a, b, mirror]);
}
