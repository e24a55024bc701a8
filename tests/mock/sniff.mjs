// What an uploaded picture is: its type by its first bytes, and its width and height from its
// header (PNG IHDR, JPEG SOFn, WebP VP8 / VP8L / VP8X), without decoding it.

/** 'image/png', 'image/jpeg', 'image/webp' by the first bytes, or null. */
export function sniffType(b) {
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47 && b.readUInt32BE(4) === 0x0d0a1a0a) return 'image/png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 12 && b.toString('ascii', 0, 4) === 'RIFF' && b.toString('ascii', 8, 12) === 'WEBP') return 'image/webp';
  return null;
}

/** `{width, height}` from the picture's header, or null when it cannot be read. */
export function pictureDims(b, type = sniffType(b)) {
  try {
    if (type === 'image/png') return b.toString('ascii', 12, 16) === 'IHDR' ? { width: b.readUInt32BE(16), height: b.readUInt32BE(20) } : null;
    if (type === 'image/jpeg') return jpegDims(b);
    if (type === 'image/webp') return webpDims(b);
  } catch {}
  return null;
}

function jpegDims(b) {
  for (let off = 2; off + 4 <= b.length; ) {
    if (b[off] !== 0xff) return null;
    const marker = b[off + 1];
    if (marker === 0xff) { off += 1; continue; }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) { off += 2; continue; }
    const len = b.readUInt16BE(off + 2);
    // SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) return { height: b.readUInt16BE(off + 5), width: b.readUInt16BE(off + 7) };
    if (marker === 0xd9 || marker === 0xda) return null;
    off += 2 + len;
  }
  return null;
}

function webpDims(b) {
  const chunk = b.toString('ascii', 12, 16);
  if (chunk === 'VP8 ') return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
  if (chunk === 'VP8L') {
    const bits = b.readUInt32LE(21);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (chunk === 'VP8X') return { width: b.readUIntLE(24, 3) + 1, height: b.readUIntLE(27, 3) + 1 };
  return null;
}
