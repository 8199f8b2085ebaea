import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import path from 'node:path';
import * as zlib from 'node:zlib';
import sharp from 'sharp';
import { decodeImage, setSimplePngFastPath, type DecodeSettings } from './decode';
import { cleanup, tempDir, writeFile } from './fixtures';
import { decodeSimplePng, encodeSimplePng, simplePngSupported } from './simple-png';

const skip = simplePngSupported() ? false : 'zlib.crc32 is missing in this Node';

/** Deterministic bytes: a small LCG. */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let state = seed >>> 0;
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

/** A PNG written by libvips with per-row adaptive filtering (all five filter types occur on noise). */
function vipsPng(width: number, height: number, channels: 1 | 3, samples: Uint8Array, options: sharp.PngOptions = {}): Promise<Buffer> {
  const image = sharp(Buffer.from(samples), { raw: { width, height, channels } });
  return (channels === 1 ? image.toColourspace('b-w') : image).png({ adaptiveFiltering: true, compressionLevel: 9, ...options }).toBuffer();
}

/** The PNG with one extra chunk inserted after IHDR. */
function withChunk(png: Buffer, type: string, body: Buffer): Buffer {
  const crc32 = (zlib as unknown as { crc32: (d: Uint8Array) => number }).crc32;
  const chunk = Buffer.alloc(12 + body.length);
  chunk.writeUInt32BE(body.length, 0);
  chunk.write(type, 4, 'latin1');
  body.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + body.length)), 8 + body.length);
  return Buffer.concat([png.subarray(0, 33), chunk, png.subarray(33)]);
}

describe('the simple-PNG decoder', { skip }, () => {
  it('gives the samples libvips wrote, through every row filter, gray and RGB', async () => {
    for (const channels of [1, 3] as const) {
      const samples = bytes(37 * 23 * channels, channels);
      // Smooth rows too, where the filters other than None win.
      for (let i = 0; i < 37 * channels * 8; i++) samples[i] = (i * 3) & 0xff;
      const png = decodeSimplePng(await vipsPng(37, 23, channels, samples));
      assert.ok(png, 'decoded');
      assert.deepEqual([png.width, png.height, png.channels], [37, 23, channels]);
      assert.ok(Buffer.from(png.samples).equals(Buffer.from(samples)), `${channels} channel(s): samples differ`);
    }
    const own = bytes(5 * 4 * 3, 9);
    assert.ok(Buffer.from(decodeSimplePng(encodeSimplePng(5, 4, 3, own))!.samples).equals(Buffer.from(own)));
  });

  it('refuses what it does not decode exactly, so that sharp decodes it', async () => {
    const gray = await vipsPng(8, 8, 1, bytes(64, 3));
    const refused: Record<string, Buffer> = {
      'palette': await vipsPng(8, 8, 3, bytes(192, 4), { palette: true }),
      'alpha': await sharp(Buffer.from(bytes(256, 5)), { raw: { width: 8, height: 8, channels: 4 } }).png().toBuffer(),
      '16-bit': await sharp(Buffer.from(bytes(64, 6)), { raw: { width: 8, height: 8, channels: 1 } }).toColourspace('grey16').png().toBuffer(),
      'interlaced': await vipsPng(8, 8, 1, bytes(64, 7), { progressive: true }),
      'gAMA chunk': withChunk(gray, 'gAMA', Buffer.from([0, 0, 0xb1, 0x8f])),
      'iCCP chunk': withChunk(gray, 'iCCP', Buffer.from('x\0\0')),
      'bad CRC': Buffer.concat([gray.subarray(0, 30), Buffer.from([gray[30]! ^ 1]), gray.subarray(31)]),
      'truncated': gray.subarray(0, gray.length - 20),
      'bytes after IEND': Buffer.concat([gray, Buffer.from([0])]),
    };
    for (const [what, png] of Object.entries(refused)) assert.equal(decodeSimplePng(png), null, what);
    // Harmless chunks are read past.
    assert.ok(decodeSimplePng(withChunk(gray, 'tEXt', Buffer.from('Comment\0hello'))));
  });
});

describe('decoding a folder image through the simple-PNG path', { skip }, () => {
  let dir = '';
  before(() => {
    dir = tempDir('simple-png');
  });
  after(() => cleanup(dir));

  const settings = (over: Partial<DecodeSettings>): DecodeSettings => ({
    imageSize: 8, resize: 'center-crop', channels: 3, maxPixels: 50_000_000, maxFileBytes: 2 ** 28, timeoutSeconds: 30, ...over,
  });

  it("gives sharp's pixels exactly, for gray, gray-looking RGB and coloured RGB sources, at every setting", async () => {
    for (const imageSize of [8, 28]) {
      const n = imageSize * imageSize;
      const graySamples = bytes(n, imageSize);
      const grayRgb = new Uint8Array(n * 3).map((_, i) => graySamples[Math.floor(i / 3)]!);
      const sources = {
        gray: await vipsPng(imageSize, imageSize, 1, graySamples),
        'gray RGB': await vipsPng(imageSize, imageSize, 3, grayRgb),
        'coloured RGB': await vipsPng(imageSize, imageSize, 3, bytes(n * 3, imageSize + 1)),
      };
      for (const [what, png] of Object.entries(sources)) {
        assert.ok(decodeSimplePng(png), `${what}: a simple PNG`);
        const file = path.join(dir, `${what}-${imageSize}.png`);
        writeFile(file, png);
        for (const channels of [1, 3] as const) {
          for (const resize of ['center-crop', 'squash', 'letterbox'] as const) {
            const s = settings({ imageSize, channels, resize });
            const previous = setSimplePngFastPath(false);
            const reference = await decodeImage(file, png.length, s);
            setSimplePngFastPath(true);
            const actual = await decodeImage(file, png.length, s);
            setSimplePngFastPath(previous);
            assert.ok(reference.ok && actual.ok, `${what}, ${imageSize} px, ${channels} channel(s), ${resize}: decoded`);
            assert.ok(actual.pixels.equals(reference.pixels), `${what}, ${imageSize} px, ${channels} channel(s), ${resize}: pixels differ`);
            assert.equal(actual.gray, reference.gray, `${what}: gray flag`);
          }
        }
      }
    }
  });
});
