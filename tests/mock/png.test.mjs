// Tests of the mock's PNG encoder (the old gradient-checker pictures). Run: node --test tests/mock/
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import { encodePng, pngSize, crc32, PNG_SIGNATURE } from './png.mjs';

describe('png', () => {
  /** Parse chunks, checking every CRC; returns [{type, data}]. */
  function chunks(buf) {
    assert.ok(buf.subarray(0, 8).equals(PNG_SIGNATURE));
    const out = [];
    for (let off = 8; off < buf.length; ) {
      const len = buf.readUInt32BE(off);
      const type = buf.toString('ascii', off + 4, off + 8);
      const data = buf.subarray(off + 8, off + 8 + len);
      assert.equal(buf.readUInt32BE(off + 8 + len), crc32(buf.subarray(off + 4, off + 8 + len)), `CRC of ${type}`);
      out.push({ type, data });
      off += 12 + len;
    }
    return out;
  }

  test('valid structure, IHDR size, pixel data size', () => {
    const buf = encodePng(37, 21, 9);
    const cs = chunks(buf);
    assert.deepEqual(cs.map((c) => c.type), ['IHDR', 'PLTE', 'IDAT', 'IEND']);
    assert.deepEqual(pngSize(buf), { width: 37, height: 21 });
    assert.deepEqual([...cs[0].data.subarray(8)], [8, 3, 0, 0, 0]);
    const raw = inflateSync(cs[2].data);
    assert.equal(raw.length, 21 * 38);
    assert.ok(new Set(raw).size > 2, 'has a visible pattern');
  });

  test('crc32 known value', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  });

  test('seed changes the palette, cache returns the same buffer', () => {
    assert.notDeepEqual(encodePng(8, 8, 1), encodePng(8, 8, 2));
    assert.equal(encodePng(8, 8, 1), encodePng(8, 8, 1));
    assert.throws(() => encodePng(0, 5));
  });

  test('8192x8192 encodes small', () => {
    const buf = encodePng(8192, 8192, 77);
    assert.deepEqual(pngSize(buf), { width: 8192, height: 8192 });
    assert.ok(buf.length < 4 * 1024 * 1024, `${buf.length} bytes`);
  });
});
