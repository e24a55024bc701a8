// The demo's "Start from your own photo" in headless Chromium: a PNG made here is picked,
// uploaded with uploadImage, used as imageRef_1 with imageStrength, its generation upscaled and
// compared; a file that is not a picture is refused with a readable message and nothing is sent.
// Needs a package with uploadImage (pkg/: bash scripts/build.sh).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { encodeRaw } from '../mock/png.mjs';
import { demoHarness, ready, shot, text, tile, imageSizes, pictureDiff } from './harness.mjs';

const { mock, openDemo, posts, genPosts, upscalePosts } = demoHarness();

/** A 160x120 RGB PNG of four coloured quadrants and a white disc: nothing like a landscape, and
 * not the same when mirrored. */
function photoPng(width = 160, height = 120) {
  const QUADRANTS = [[214, 40, 48], [36, 72, 210], [240, 206, 36], [26, 160, 84]];
  const raw = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    raw[y * (1 + width * 3)] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const q = (y < height / 2 ? 0 : 2) + (x < width / 2 ? 0 : 1);
      const disc = (x - width * 0.3) ** 2 + (y - height * 0.35) ** 2 < (height * 0.18) ** 2;
      const rgb = disc ? [250, 250, 250] : QUADRANTS[q];
      raw.set(rgb, y * (1 + width * 3) + 1 + x * 3);
    }
  }
  return encodeRaw(width, height, 2, deflateSync(raw));
}

test('Start from your own photo: upload, generate from it, upscale, and the comparison shows the photo', async (t) => {
  const page = await openDemo(t);
  await ready(page);
  assert.ok(await page.isHidden('#strength-field'), 'imageStrength shows once a photo is chosen');
  const png = photoPng();
  await page.setInputFiles('#photo', { name: 'my-photo.png', mimeType: 'image/png', buffer: png });
  await imageSizes(page, '#photo-preview');
  await page.waitForFunction(() => document.getElementById('photo-name').textContent.includes('160 × 120'));
  assert.match(await text(page, '#photo-name'), /^my-photo\.png · 160 × 120 · \d+ B$/);
  assert.equal(await page.getAttribute('#photo', 'aria-invalid'), 'false');
  assert.equal(mock.requests().length, 0, 'choosing a photo sends nothing');

  // With a photo the prompt may be empty; imageStrength comes from its slider's number box.
  await page.fill('#prompt', '');
  await page.waitForSelector('#prompt-error:empty', { state: 'attached' });
  await page.fill('#imageStrength', '0.9');
  await page.fill('#imageStrength', '1.2');
  await page.waitForSelector('#imageStrength-error:has-text("from 0 to 1")');
  await page.fill('#imageStrength', '0.9');
  await page.waitForSelector('#imageStrength-error:empty', { state: 'attached' });
  await shot(page, '20-photo-chosen');
  await page.click('#generate');
  await page.waitForSelector('#gen-run[data-state="done"]', { timeout: 15_000 });
  await page.waitForFunction(() => document.querySelectorAll('#gallery .tile').length === 4);

  // One upload of the file's own bytes, with its type, to the first listed account; then a
  // generation with its assetRef as imageRef_1.
  const [upload, ...more] = posts('/assets/US%3Auser%40example.com');
  assert.equal(more.length, 0, 'one upload');
  assert.equal(upload.headers['content-type'], 'image/png');
  assert.equal(upload.body, `<${png.length} bytes>`);
  const [post] = genPosts();
  const body = JSON.parse(post.body);
  assert.match(body.imageRef_1, /^US:user@example\.com-image:w160:h120:s\d+-uri:tos-mock-i-upload\//);
  assert.deepEqual(body, { imageRef_1: body.imageRef_1, imageStrength: 0.9 });
  // ratio auto (the default) follows the photo's shape: the provider's 2k 4:3 picture.
  assert.deepEqual((await imageSizes(page, `${tile(0)} img`)).natural, [2304, 1728]);

  await page.click(`${tile(2)} .upscale-one`);
  await page.waitForSelector(`${tile(2)}[data-state="done"]`, { timeout: 15_000 });
  assert.equal(upscalePosts().length, 1);
  await page.waitForSelector('#compare:not([hidden])');
  assert.deepEqual((await imageSizes(page, '#img-upscaled')).natural, [4608, 3456]);
  await imageSizes(page, '#img-source');
  // Before and after are the user's photo: close to the upload, far from its mirror image.
  const like = await pictureDiff(page, '#photo-preview', '#img-upscaled');
  const mirrored = await pictureDiff(page, '#photo-preview', '#img-upscaled', { mirror: true });
  const before = await pictureDiff(page, '#photo-preview', '#img-source');
  t.diagnostic(`mean difference per channel from the photo: upscale ${like.toFixed(2)}, generated ${before.toFixed(2)}, upscale vs the mirrored photo ${mirrored.toFixed(2)}`);
  assert.ok(like < 20, `the upscale differs from the photo by ${like.toFixed(2)} per channel`);
  assert.ok(before < 20, `the generated picture differs from the photo by ${before.toFixed(2)} per channel`);
  assert.ok(mirrored > 3 * like, `the photo's mirror image differs by ${mirrored.toFixed(2)}: the picture is not just its colours`);

  // Generating again from the same photo does not upload it again.
  await page.click('#generate');
  await page.waitForSelector('#gen-run[data-state="done"]', { timeout: 15_000 });
  assert.equal(posts('/assets/US%3Auser%40example.com').length, 1, 'the assetRef is reused');
  assert.equal(JSON.parse(genPosts()[1].body).imageRef_1, body.imageRef_1);
  assert.deepEqual(page.pageErrors, []);
  await shot(page, '21-photo-compare');
});

test('a file that is not a JPEG, PNG or WebP: a readable message, and nothing is sent (phone width)', async (t) => {
  const page = await openDemo(t, { width: 375, height: 812 });
  await ready(page);
  // Named and typed as a PNG, but a BMP by its first bytes: the package goes by the bytes.
  const bmp = Buffer.concat([Buffer.from('BM'), Buffer.alloc(64, 1)]);
  await page.setInputFiles('#photo', { name: 'holiday.png', mimeType: 'image/png', buffer: bmp });
  await page.waitForSelector('#data-error:has-text("holiday.png")');
  assert.match(await text(page, '#data-error'), /^holiday\.png: .*not a JPEG, PNG or WebP picture/);
  assert.equal(await page.getAttribute('#photo', 'aria-invalid'), 'true');
  assert.ok(await page.isHidden('#photo-preview'));
  assert.ok(await page.isVisible('#photo-clear'), 'it can be removed');

  // Generate refuses it again, before anything is sent.
  await page.click('#generate');
  await page.waitForSelector('#gen-run[data-state="error"]');
  assert.match(await text(page, '#gen-status'), /^Not sent · /);
  assert.match(await text(page, '#gen-error'), /validation[\s\S]*not a JPEG, PNG or WebP/);
  const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(scrollWidth <= 375, `page is ${scrollWidth}px wide`);
  const drop = await page.$eval('#photo-drop', (d) => [d.scrollWidth, d.clientWidth]);
  assert.ok(drop[0] <= drop[1], `the drop zone's content (${drop[0]}px) fits in it (${drop[1]}px)`);
  await shot(page, '22-photo-refused-phone');

  // A text file, the same.
  await page.setInputFiles('#photo', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a picture\n') });
  await page.waitForSelector('#data-error:has-text("notes.txt")');
  assert.deepEqual(mock.requests().filter((r) => r.method === 'POST'), [], 'no POST reached the API');
  assert.equal(mock.requests().length, 0, 'no request at all');

  await page.click('#photo-clear');
  await page.waitForSelector('#data-error:empty', { state: 'attached' });
  assert.equal(await page.getAttribute('#photo', 'aria-invalid'), 'false');
  assert.ok(await page.isHidden('#strength-field'));

  // Dropping a picture on the box is the same as picking it.
  const dropped = await page.evaluateHandle((bytes) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(bytes)], 'dropped.png', { type: 'image/png' }));
    return dt;
  }, [...photoPng(80, 60)]);
  await page.dispatchEvent('#photo-drop', 'dragover', { dataTransfer: dropped });
  assert.match(await page.getAttribute('#photo-drop', 'class'), /dragging/);
  await page.dispatchEvent('#photo-drop', 'drop', { dataTransfer: dropped });
  await imageSizes(page, '#photo-preview');
  await page.waitForFunction(() => document.getElementById('photo-name').textContent.startsWith('dropped.png · 80 × 60'));
  assert.doesNotMatch(await page.getAttribute('#photo-drop', 'class'), /dragging/);
  assert.ok(await page.isVisible('#strength-field'));
  assert.equal(mock.requests().length, 0, 'still nothing sent');
  assert.deepEqual(page.pageErrors, []);
});
