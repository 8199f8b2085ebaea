import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import sharp from 'sharp';
import { temporaryDir } from '../../tests/fixtures/mnist-folder';
import { FolderAccess } from './folder-access';
import { ImageFileError, readDisplayImage } from './image-files';

let folder = '';
const access = new FolderAccess();

before(async () => {
  folder = temporaryDir('images');
  const square = sharp({ create: { width: 64, height: 40, channels: 3, background: { r: 200, g: 10, b: 10 } } });
  await square.clone().png().toFile(path.join(folder, 'red.png'));
  await square.clone().tiff().toFile(path.join(folder, 'red.tiff'));
  await square.clone().jpeg().toFile(path.join(folder, 'jpeg-named.png'));
  fs.writeFileSync(path.join(folder, 'page.png'), '<script>alert(1)</script>');
  fs.writeFileSync(path.join(folder, 'drawing.bmp'), Buffer.from('BM0000000000'));
  await access.chooseFolder(folder);
});

function status(expected: number) {
  return (error: unknown) => error instanceof ImageFileError && error.status === expected;
}

test('images are served by their bytes: as they are, converted, or as thumbnails', async () => {
  const png = await readDisplayImage(access, path.join(folder, 'red.png'));
  assert.equal(png.contentType, 'image/png');
  assert.deepEqual(png.body, fs.readFileSync(path.join(folder, 'red.png')));
  const jpeg = await readDisplayImage(access, path.join(folder, 'jpeg-named.png'));
  assert.equal(jpeg.contentType, 'image/jpeg', 'the content decides the type, not the name');
  const tiff = await readDisplayImage(access, path.join(folder, 'red.tiff'));
  assert.equal(tiff.contentType, 'image/png', 'TIFF is converted for browsers');
  const thumb = await readDisplayImage(access, path.join(folder, 'red.png'), 16);
  const meta = await sharp(thumb.body).metadata();
  assert.deepEqual([meta.width, meta.height], [16, 10]);
});

test('non-images, missing files and files outside chosen folders are refused', async () => {
  await assert.rejects(readDisplayImage(access, path.join(folder, 'page.png')), status(415));
  await assert.rejects(readDisplayImage(access, path.join(folder, 'drawing.bmp')), status(415));
  await assert.rejects(readDisplayImage(access, path.join(folder, 'gone.png')), status(403));
  await assert.rejects(readDisplayImage(access, '/etc/passwd'), status(403));
  await assert.rejects(readDisplayImage(access, folder), status(404));
});
