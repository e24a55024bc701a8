// Tests of the mock's pictures: real landscapes, and an upscale is the same picture with more detail.
// Run: node --test tests/mock/
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startMock, SEEDED } from './server.mjs';
import { encodePicture, sceneOf, themeFor, THEMES, DETAIL_CAP, PICTURE_MAX_SIDE } from './picture.mjs';
import { pngSize } from './png.mjs';
import { encodeJpeg } from './jpeg.mjs';
import { decodeJpeg } from './jpeg-decode.mjs';
import { pictureRaster } from './picture.mjs';
import { rasterOf } from './raster.mjs';
import { call, decodePng, decodePicture, downsample, meanDiff } from './helpers.mjs';

const enc = encodeURIComponent;
/** Fetch a picture; its Content-Type must be what its URL's extension says. */
const fetchPng = async (url) => {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), new URL(url).pathname.endsWith('.jpeg') ? 'image/jpeg' : 'image/png');
  return Buffer.from(await res.arrayBuffer());
};

describe('pictures', () => {
  test('a picture has many colours, sky above land, and each theme looks different', () => {
    const means = [];
    for (const theme of THEMES) {
      const pic = decodePng(encodePicture(256, 256, 11, theme));
      assert.deepEqual([pic.width, pic.height], [256, 256]);
      const colours = new Set();
      for (let i = 0; i < pic.rgb.length; i += 3) colours.add((pic.rgb[i] << 16) | (pic.rgb[i + 1] << 8) | pic.rgb[i + 2]);
      assert.ok(colours.size > 200, `${theme}: ${colours.size} colours`);
      const small = downsample(pic, 1, 1);
      means.push(small);
    }
    for (let i = 0; i < means.length; i++) for (let j = i + 1; j < means.length; j++) assert.ok(meanDiff(means[i], means[j]) > 5, `${THEMES[i]} vs ${THEMES[j]}`);
  });

  test('the same seed at a bigger size is the same picture, with more detail', () => {
    const small = decodePng(encodePicture(512, 384, 99, 'sunset'));
    const big = decodePng(encodePicture(2048, 1536, 99, 'sunset'));
    const other = decodePng(encodePicture(512, 384, 100, 'sunset'));
    const same = meanDiff(downsample(big, 512, 384), small);
    const different = meanDiff(other, small);
    assert.ok(same < 4, `big picture shrunk differs from the small one by ${same.toFixed(2)} per channel`);
    assert.ok(different > 3 * same, `another seed differs by ${different.toFixed(2)} (same: ${same.toFixed(2)})`);
    // More detail, not a resize: the big picture differs from the small one enlarged (nearest).
    let detail = 0;
    for (let y = 0; y < 1536; y++) {
      for (let x = 0; x < 2048; x++) {
        const s = ((y >> 2) * 512 + (x >> 2)) * 3;
        const b = (y * 2048 + x) * 3;
        detail += Math.abs(big.rgb[b] - small.rgb[s]) + Math.abs(big.rgb[b + 1] - small.rgb[s + 1]);
      }
    }
    assert.ok(detail / (2048 * 1536 * 2) > 0.3, 'the big picture has its own fine detail');
  });

  test('exact sizes, bounded cost above DETAIL_CAP, size limits', () => {
    assert.equal(DETAIL_CAP, 2048);
    const buf = encodePicture(8192, 6144, 5, 'night');
    assert.deepEqual(pngSize(buf), { width: 8192, height: 6144 });
    assert.ok(buf.length < 8 * 1024 * 1024, `${buf.length} bytes`);
    assert.deepEqual(pngSize(encodePicture(1, 1, 0, 'day')), { width: 1, height: 1 });
    assert.throws(() => encodePicture(PICTURE_MAX_SIDE + 1, 10, 0, 'day'), RangeError);
    assert.throws(() => encodePicture(0, 10, 0, 'day'), RangeError);
  });

  test('the JPEG encoder and decoder: any size, the same picture back, other JPEG kinds refused', () => {
    for (const [w, h, most] of [[1, 1, 4], [17, 9, 10], [333, 211, 4]]) { // a tiny picture is all edges
      const raster = pictureRaster(w, h, 42, 'sunset');
      const jpeg = encodeJpeg(raster);
      const back = decodeJpeg(jpeg);
      assert.deepEqual([back.width, back.height], [w, h]);
      const png = decodePng(encodePicture(w, h, 42, 'sunset'));
      const diff = meanDiff(back, png);
      assert.ok(diff < most, `${w}x${h}: ${diff.toFixed(2)} per channel`);
    }
    // A picture with detail compresses well below its PNG; a flat one to almost nothing.
    const flat = encodeJpeg(rasterOf({ width: 256, height: 256, rgb: new Uint8Array(256 * 256 * 3).fill(90) }));
    assert.ok(flat.length < 2000, `${flat.length} bytes`);
    assert.ok(decodeJpeg(flat).rgb.every((v) => Math.abs(v - 90) <= 1));
    const progressive = Buffer.from(encodeJpeg(pictureRaster(16, 16, 1, 'day')));
    const sof = progressive.indexOf(Buffer.from([0xff, 0xc0]));
    progressive[sof + 1] = 0xc2;
    assert.throws(() => decodeJpeg(progressive), /SOF2/);
    assert.throws(() => decodeJpeg(Buffer.from('not a jpeg')), /not a JPEG/);
  });

  test('themes from prompt words, else from the seed', () => {
    assert.equal(themeFor('a lake under the moon', 1), 'night');
    assert.equal(themeFor('Sunset over the sea', 1), 'sunset');
    assert.equal(themeFor('sand dunes', 1), 'desert');
    assert.equal(themeFor('winter cabin', 1), 'snow');
    assert.equal(themeFor('a cat', 2), THEMES[2]);
    assert.deepEqual(sceneOf(3, 'day'), sceneOf(3, 'day'));
  });
});

describe('pictures served by the mock', () => {
  let mock;
  before(async () => {
    mock = await startMock({ completeAfterMs: 0 });
  });
  after(() => mock.close());

  test('a generation image and its 4k upscale: the sizes reported, the same picture', async () => {
    const gen = (await call(mock, 'GET', `/images/${enc(SEEDED.wide)}`)).body.response.images[3];
    const up = await call(mock, 'POST', '/images/upscale', { body: { jobid: SEEDED.wide, imageIndex: 3 } });
    const upImg = (await call(mock, 'GET', `/images/${enc(up.body.jobid)}`)).body.response.images[0];
    assert.deepEqual([upImg.width, upImg.height], [4608, 3456], "the 4k 4:3 picture of the size table");
    assert.match(upImg.imageUrl, /\.jpeg\?/, 'JPEG, as the provider serves');
    const a = decodePicture(await fetchPng(gen.imageUrl));
    const b = decodePicture(await fetchPng(upImg.imageUrl));
    assert.deepEqual([a.width, a.height], [gen.width, gen.height]);
    assert.deepEqual([b.width, b.height], [upImg.width, upImg.height]);
    const diff = meanDiff(downsample(b, 256, 192), downsample(a, 256, 192));
    const sibling = decodePicture(await fetchPng((await call(mock, 'GET', `/images/${enc(SEEDED.wide)}`)).body.response.images[2].imageUrl));
    const otherDiff = meanDiff(downsample(sibling, 256, 192), downsample(a, 256, 192));
    assert.ok(diff < 3, `upscale vs source: ${diff.toFixed(2)}`);
    assert.ok(otherDiff > 3 * diff, `another image of the job: ${otherDiff.toFixed(2)}`);
  });

  test('picture URLs are limited to PICTURE_MAX_SIDE (12288) a side; plain URLs keep the old pattern', async () => {
    const r = await fetch(`${mock.url}/files/x.png?w=${PICTURE_MAX_SIDE + 1}&h=10&scene=1&theme=day`);
    assert.equal(r.status, 400);
    await r.text();
    const plain = await fetchPng(`${mock.url}/files/x.png?w=20&h=10&seed=3`);
    assert.deepEqual(pngSize(plain), { width: 20, height: 10 });
    assert.equal(decodePng(plain).width, 20);
  });
});
