/** Hostile fixtures for tests: files whose headers lie about their size. */
import sharp from 'sharp';

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 as PNG chunks use it (zlib.crc32 needs Node ≥ 20.15, so it is computed here). */
function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * A small, valid-looking PNG whose IHDR claims width × height pixels (a "PNG bomb"):
 * a decoder that trusted it would try to allocate width × height × channels bytes.
 */
export async function pngWithDeclaredSize(width: number, height: number): Promise<Buffer> {
  const png = Buffer.from(await sharp({ create: { width: 4, height: 4, channels: 3, background: 'black' } }).png().toBuffer());
  // Signature (8) + IHDR length (4) + "IHDR" (4): width and height follow, then the CRC after 13 data bytes.
  png.writeUInt32BE(width, 16);
  png.writeUInt32BE(height, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}
