import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import path from 'node:path';
import sharp from 'sharp';
import { decodeImage, endsEarly, isGrayRgb, type DecodeSettings } from './decode';
import { sniffFormat } from './sniff';
import { cleanup, EXTENSIONS, halvesPixels, noisyPixels, pixelAt, rawImage, solidImage, tempDir, writeFile, type FixtureFormat } from './fixtures';
import { pngWithDeclaredSize } from './hostile-fixtures';

const settings = (over: Partial<DecodeSettings> = {}): DecodeSettings => ({
  imageSize: 8, resize: 'center-crop', channels: 3, maxPixels: 50_000_000, maxFileBytes: 2 ** 28, timeoutSeconds: 30, ...over,
});

let dir = '';
before(() => {
  dir = tempDir('decode');
});
after(() => cleanup(dir));

async function fixture(name: string, bytes: Uint8Array): Promise<{ file: string; size: number }> {
  const file = path.join(dir, name);
  writeFile(file, bytes);
  return { file, size: bytes.length };
}

async function decodeOk(name: string, bytes: Uint8Array, over: Partial<DecodeSettings> = {}): Promise<{ pixels: Buffer; gray: boolean }> {
  const { file, size } = await fixture(name, bytes);
  const result = await decodeImage(file, size, settings(over));
  assert.ok(result.ok, `expected ${name} to decode, got: ${result.ok ? '' : result.reason}`);
  return result;
}

async function decodeFail(name: string, bytes: Uint8Array, over: Partial<DecodeSettings> = {}): Promise<string> {
  const { file, size } = await fixture(name, bytes);
  const result = await decodeImage(file, size, settings(over));
  assert.equal(result.ok, false, `expected ${name} to be rejected`);
  return result.ok ? '' : result.reason;
}

function assertColour(actual: number[], expected: number[], tolerance: number, what: string): void {
  actual.forEach((v, i) => assert.ok(Math.abs(v - (expected[i] as number)) <= tolerance, `${what}: got ${actual.join(',')}, expected ${expected.join(',')}`));
}

describe('decodeImage: formats', () => {
  const formats: FixtureFormat[] = ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif'];
  for (const format of formats) {
    it(`decodes ${format} to S×S RGB`, async () => {
      const colour = { r: 200, g: 40, b: 90 };
      const { pixels, gray } = await decodeOk(`solid.${EXTENSIONS[format]}`, await solidImage(format, 24, 16, colour));
      assert.equal(pixels.length, 8 * 8 * 3);
      // JPEG and GIF (palette) are lossy; the rest must be within rounding.
      const tolerance = format === 'jpeg' || format === 'gif' ? 12 : 2;
      assertColour(pixelAt(pixels, 8, 3, 4, 4), [200, 40, 90], tolerance, format);
      assert.equal(gray, false);
    });
  }

  it('takes the first frame of an animated GIF', async () => {
    const frames = Buffer.concat([
      Buffer.from(new Uint8Array(8 * 8 * 3).map((_, i) => (i % 3 === 1 ? 255 : 0))), // green
      Buffer.from(new Uint8Array(8 * 8 * 3).map((_, i) => (i % 3 === 2 ? 255 : 0))), // blue
    ]);
    const gif = await sharp(frames, { raw: { width: 8, height: 16, channels: 3, pageHeight: 8 } }).gif({ loop: 0, delay: [100, 100] }).toBuffer();
    assert.equal((await sharp(gif).metadata()).pages, 2);
    const { pixels } = await decodeOk('anim.gif', gif);
    assertColour(pixelAt(pixels, 8, 3, 3, 3), [0, 255, 0], 12, 'first frame');
  });

  it('decodes a PNG saved with a .jpg extension (format sniffed from bytes)', async () => {
    const { pixels } = await decodeOk('really-a-png.jpg', await solidImage('png', 8, 8, { r: 10, g: 20, b: 30 }));
    assertColour(pixelAt(pixels, 8, 3, 0, 0), [10, 20, 30], 0, 'png as jpg');
  });

  it('converts CMYK JPEG and 16-bit PNG to 8-bit sRGB', async () => {
    const cmyk = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 250, g: 250, b: 250 } } }).toColourspace('cmyk').jpeg().toBuffer();
    assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');
    const a = await decodeOk('cmyk.jpg', cmyk);
    assert.equal(a.pixels.length, 8 * 8 * 3);
    const png16 = await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 255, g: 0, b: 0 } } }).toColourspace('rgb16').png().toBuffer();
    const b = await decodeOk('deep.png', png16);
    assertColour(pixelAt(b.pixels, 8, 3, 2, 2), [255, 0, 0], 1, '16-bit');
  });

  it('drops alpha without compositing (as torchvision convert("RGB") does)', async () => {
    const rgba = await sharp({ create: { width: 8, height: 8, channels: 4, background: { r: 0, g: 0, b: 255, alpha: 0.2 } } }).png().toBuffer();
    const { pixels } = await decodeOk('alpha.png', rgba);
    assertColour(pixelAt(pixels, 8, 3, 1, 1), [0, 0, 255], 1, 'alpha dropped');
  });
});

describe('decodeImage: orientation, colour and resize', () => {
  it('applies EXIF orientation before resizing', async () => {
    // Stored 20×10: left half red, right half blue. Orientation 6 = rotate 90° clockwise to view,
    // so the viewed image is 10×20 with red on top and blue below.
    const stored = await sharp(Buffer.from(halvesPixels(20, 10)), { raw: { width: 20, height: 10, channels: 3 } })
      .png().toBuffer();
    const jpeg = await sharp(stored).jpeg({ quality: 100 }).withMetadata({ orientation: 6 }).toBuffer();
    assert.equal((await sharp(jpeg).metadata()).orientation, 6);
    const { pixels } = await decodeOk('rotated.jpg', jpeg, { resize: 'squash' });
    assertColour(pixelAt(pixels, 8, 3, 4, 0), [255, 0, 0], 40, 'top is red');
    assertColour(pixelAt(pixels, 8, 3, 4, 7), [0, 0, 255], 40, 'bottom is blue');
  });

  it('reports gray images and converts to one channel in grayscale mode', async () => {
    const grayPng = await rawImage('png', new Uint8Array(16 * 16).fill(77), 16, 16, 1);
    const a = await decodeOk('gray.png', grayPng);
    assert.equal(a.gray, true);
    assertColour(pixelAt(a.pixels, 8, 3, 0, 0), [77, 77, 77], 0, 'gray as rgb');
    // A gray picture saved as an RGB JPEG still counts as gray (chroma rounding tolerated).
    const grayJpeg = await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 120, g: 120, b: 120 } } }).jpeg().toBuffer();
    assert.equal((await decodeOk('gray-rgb.jpg', grayJpeg)).gray, true);
    const colour = await solidImage('png', 16, 16, { r: 255, g: 0, b: 0 });
    const b = await decodeOk('red.png', colour, { channels: 1 });
    assert.equal(b.pixels.length, 8 * 8);
    // libvips takes luminance in linear light, then re-applies the sRGB curve: pure red → about 127
    // (gamma-space formulas such as PIL's give about 76). Either way: a mid gray, not 0 or 255.
    assert.ok((b.pixels[0] as number) > 60 && (b.pixels[0] as number) < 140, `red → gray ${b.pixels[0]}`);
  });

  it('isGrayRgb tolerates ±2 and no more', () => {
    assert.equal(isGrayRgb(new Uint8Array([10, 11, 12, 200, 200, 200])), true);
    assert.equal(isGrayRgb(new Uint8Array([10, 11, 13])), false);
  });

  // 40×20 source: x<10 green, 10–19 red, 20–29 blue, ≥30 green.
  async function stripes(): Promise<Buffer> {
    const w = 40;
    const h = 20;
    const px = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const o = (y * w + x) * 3;
        if (x < 10 || x >= 30) px[o + 1] = 255;
        else if (x < 20) px[o] = 255;
        else px[o + 2] = 255;
      }
    }
    return rawImage('png', px, w, h, 3);
  }

  it('center-crop keeps the central square', async () => {
    const { pixels } = await decodeOk('stripes-crop.png', await stripes(), { resize: 'center-crop' });
    assertColour(pixelAt(pixels, 8, 3, 0, 4), [255, 0, 0], 30, 'left edge red');
    assertColour(pixelAt(pixels, 8, 3, 7, 4), [0, 0, 255], 30, 'right edge blue');
  });

  it('squash keeps everything, distorted', async () => {
    const { pixels } = await decodeOk('stripes-squash.png', await stripes(), { resize: 'squash' });
    assertColour(pixelAt(pixels, 8, 3, 0, 0), [0, 255, 0], 30, 'left edge green');
    assertColour(pixelAt(pixels, 8, 3, 7, 7), [0, 255, 0], 30, 'right edge green');
    assertColour(pixelAt(pixels, 8, 3, 2, 4), [255, 0, 0], 40, 'red stripe');
    assertColour(pixelAt(pixels, 8, 3, 5, 4), [0, 0, 255], 40, 'blue stripe');
  });

  it('letterbox fits the whole image with black bars', async () => {
    const { pixels } = await decodeOk('stripes-letterbox.png', await stripes(), { resize: 'letterbox' });
    assertColour(pixelAt(pixels, 8, 3, 4, 0), [0, 0, 0], 0, 'top bar');
    assertColour(pixelAt(pixels, 8, 3, 4, 7), [0, 0, 0], 0, 'bottom bar');
    assertColour(pixelAt(pixels, 8, 3, 0, 4), [0, 255, 0], 30, 'left edge green');
    assertColour(pixelAt(pixels, 8, 3, 7, 4), [0, 255, 0], 30, 'right edge green');
  });
});

describe('decodeImage: bad files', () => {
  it('rejects zero-byte files', async () => {
    assert.match(await decodeFail('empty.jpg', new Uint8Array(0)), /empty file/);
  });

  it('rejects non-images by content, whatever the extension', async () => {
    assert.match(await decodeFail('notes.jpg', Buffer.from('these are my notes about cats\n')), /not an image \(looks like a text file\)/);
    assert.match(await decodeFail('random.png', Buffer.from(Array.from({ length: 200 }, (_, i) => (i * 7919) % 256))), /not an image/);
  });

  it('rejects truncated JPEG and PNG files', async () => {
    const noisy = sharp(Buffer.from(noisyPixels(64, 64)), { raw: { width: 64, height: 64, channels: 3 } });
    const jpeg = await noisy.clone().jpeg().toBuffer();
    assert.match(await decodeFail('cut.jpg', jpeg.subarray(0, jpeg.length >> 1)), /truncated JPEG/);
    const png = await noisy.clone().png().toBuffer();
    assert.match(await decodeFail('cut.png', png.subarray(0, png.length >> 1)), /truncated PNG|corrupt PNG/);
  });

  it('rejects corrupt data behind a valid signature', async () => {
    const png = Buffer.from(await rawImage('png', noisyPixels(16, 16), 16, 16, 3));
    // Scramble everything between the header and the final IEND chunk: complete, but corrupt.
    for (let i = 40; i < png.length - 12; i++) png[i] = (png[i] as number) ^ 0x5a;
    assert.match(await decodeFail('scrambled.png', png), /corrupt PNG image, cannot be decoded/);
  });

  it('rejects images above the pixel limit, from their header', async () => {
    const big = await sharp({ create: { width: 3000, height: 2000, channels: 3, background: 'white' } }).png().toBuffer();
    assert.match(await decodeFail('big.png', big, { maxPixels: 1_000_000 }), /too many pixels \(3000×2000 = 6\.0 megapixels, above the 1\.0 megapixels limit/);
    // A bomb: a tiny file whose header claims 100,000 × 100,000 pixels.
    const bomb = await pngWithDeclaredSize(100_000, 100_000);
    assert.ok(bomb.length < 1000);
    assert.match(await decodeFail('bomb.png', bomb), /too many pixels/);
  });

  it('recognises truncation from the bytes, not only from the decoder message', async () => {
    const jpeg = await rawImage('jpeg', noisyPixels(16, 16), 16, 16, 3);
    const png = await rawImage('png', noisyPixels(16, 16), 16, 16, 3);
    const gif = await rawImage('gif', noisyPixels(16, 16), 16, 16, 3);
    const webp = await rawImage('webp', noisyPixels(16, 16), 16, 16, 3);
    for (const [format, bytes] of [['jpeg', jpeg], ['png', png], ['gif', gif], ['webp', webp]] as const) {
      assert.equal(endsEarly(format, bytes), false, `${format} whole`);
      assert.equal(endsEarly(format, bytes.subarray(0, bytes.length - 40)), true, `${format} cut`);
    }
  });

  it('rejects files above the size limit before reading them', async () => {
    const png = await solidImage('png', 8, 8, { r: 1, g: 2, b: 3 });
    assert.match(await decodeFail('big-file.png', png, { maxFileBytes: 10 }), /file too large/);
  });

  it('names formats it cannot read', () => {
    const reason = (bytes: number[] | string): string => {
      const s = sniffFormat(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Uint8Array.from(bytes));
      return s.supported ? s.format : s.reason;
    };
    assert.match(reason('BM\x36\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00'), /BMP images are not supported/);
    assert.match(reason('\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic'), /HEIC\/HEIF/);
    assert.match(reason('\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1'), /avif/);
    assert.match(reason('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'), /SVG images are not supported/);
    assert.match(reason('%PDF-1.7\n'), /PDF/);
  });
});
