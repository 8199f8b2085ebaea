import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { temporaryDir } from '../../tests/fixtures/mnist-folder';
import type { TrainingData } from '../engine/types';
import { addressOf, decodeTrainingData, encodeTrainingData, fetchTrainingData, publishTrainingData, sharedBlobPath } from './published-data';
import { redisMissing, startRedis, type TestRedis } from './redis-fixture';
import { trainingDataFingerprint } from './run-data';
import { inMemory } from '../dataset/pixel-file';

/** 30 images of 5×5 RGB with every byte different from its neighbours, uneven splits. */
function sampleData(): TrainingData {
  const count = 30;
  const pixels = new Uint8Array(new SharedArrayBuffer(count * 75));
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 37 + 11) % 256;
  const labels = Int32Array.from({ length: count }, (_, i) => i % 3);
  return {
    pixels,
    imageSize: 5,
    channels: 3,
    labels,
    train: Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]),
    val: Int32Array.from([17, 18, 19, 20, 21]),
    test: Int32Array.from([22, 23, 24, 25, 26, 27, 28, 29]),
    numClasses: 3,
    trainCounts: [6, 6, 5],
    channelMean: [0.5, 0.25, 0.125],
    channelStd: [0.3, 0.2, 0.1],
  };
}

test('published blobs decode to the same data: same fingerprint, pixels shareable with training threads', () => {
  const data = sampleData();
  const blobs = encodeTrainingData(data);
  const back = decodeTrainingData(blobs);
  assert.equal(trainingDataFingerprint(back), trainingDataFingerprint(data));
  assert.ok(inMemory(back.pixels).buffer instanceof SharedArrayBuffer);
  assert.deepEqual([...back.test], [...data.test]);
  assert.deepEqual(back.channelStd, data.channelStd);
  assert.throws(() => decodeTrainingData({ ...blobs, pixels: blobs.pixels.subarray(0, 200) }), /cut short/);
  assert.throws(() => decodeTrainingData({ ...blobs, split: blobs.pixels }), /not a LossLab data blob/);
});

test('a shared folder holds one pixels file and one split file, named by their fingerprints alone', async () => {
  const data = sampleData();
  const address = addressOf(data);
  const folder = path.join(temporaryDir('published-share'), 'share');
  const first = await publishTrainingData(null as never, data, address, { where: 'shared', folder });
  const second = await publishTrainingData(null as never, data, address, { where: 'shared', folder });
  assert.deepEqual([first.uploaded, second.uploaded], [true, false]);
  assert.deepEqual(fs.readdirSync(folder).sort(), [`${address.pixels}.losslab-pixels`, `${address.data}.losslab-split`].sort());
  const back = await fetchTrainingData(null as never, address, { where: 'shared', folder });
  assert.equal(trainingDataFingerprint(back), address.data);
  assert.throws(() => sharedBlobPath(folder, 'pixels', '../../etc/passwd'), /64 hex digits/);
  // Pixels whose bytes changed on the share are refused by their fingerprint.
  const file = sharedBlobPath(folder, 'pixels', address.pixels);
  const bytes = fs.readFileSync(file);
  bytes[bytes.length - 100] ^= 0xff;
  fs.writeFileSync(file, bytes);
  await assert.rejects(fetchTrainingData(null as never, address, { where: 'shared', folder }), /pixels do not match their fingerprint/);
  await assert.rejects(fetchTrainingData(null as never, address, { where: 'shared', folder: temporaryDir('published-empty') }), /not in .* on this machine/);
});

describe('published data in Redis', { skip: redisMissing }, () => {
  let server: TestRedis;
  let redis: Redis;
  before(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
  });
  after(async () => {
    redis?.disconnect();
    await server?.stop();
  });

  test('published in chunks once per fingerprint, fetched back bit for bit; a second split on the same images adds only the split', async () => {
    const data = sampleData();
    const address = addressOf(data);
    const first = await publishTrainingData(redis, data, address, { where: 'redis' }, { chunkBytes: 512 });
    const again = await publishTrainingData(redis, data, address, { where: 'redis' }, { chunkBytes: 512 });
    assert.deepEqual([first.uploaded, again.uploaded], [true, false]);
    const chunks = (prefix: string) => redis.keys(`${prefix}:*`).then((keys) => keys.filter((key) => !key.endsWith(':meta')).length);
    const pixelChunks = await chunks(`losslab:pixels:${address.pixels}`);
    assert.equal(pixelChunks, Math.ceil(encodeTrainingData(data).pixels.length / 512));
    assert.ok((await redis.ttl(`losslab:pixels:${address.pixels}:meta`)) > 24 * 3600);
    assert.ok((await redis.ttl(`losslab:pixels:${address.pixels}:0`)) > 24 * 3600, 'chunks live as long as their meta once complete');
    const back = await fetchTrainingData(redis, address, { where: 'redis' });
    assert.equal(trainingDataFingerprint(back), address.data);
    assert.deepEqual(Buffer.from(inMemory(back.pixels)), Buffer.from(inMemory(data.pixels)));
    // Another imbalance setting: the same images, another split.
    const other = { ...data, train: data.train.subarray(0, 10), trainCounts: [4, 3, 3] };
    const otherAddress = addressOf(other);
    assert.equal(otherAddress.pixels, address.pixels);
    await publishTrainingData(redis, other, otherAddress, { where: 'redis' }, { chunkBytes: 512 });
    assert.equal(await chunks(`losslab:pixels:${address.pixels}`), pixelChunks, 'the pixels are stored once');
    assert.equal(trainingDataFingerprint(await fetchTrainingData(redis, otherAddress, { where: 'redis' })), otherAddress.data);
  });

  test('a changed or missing chunk is refused, never trained on', async () => {
    const data = sampleData();
    inMemory(data.pixels)[0] = 1; // another dataset, other fingerprints
    const address = addressOf(data);
    await publishTrainingData(redis, data, address, { where: 'redis' }, { chunkBytes: 512 });
    const key = `losslab:pixels:${address.pixels}:1`;
    const chunk = (await redis.getBuffer(key))!;
    chunk[10] ^= 0xff;
    await redis.set(key, chunk);
    await assert.rejects(fetchTrainingData(redis, address, { where: 'redis' }), /pixels do not match their fingerprint/);
    await redis.del(`losslab:pixels:${address.pixels}:2`);
    await assert.rejects(fetchTrainingData(redis, address, { where: 'redis' }), /chunk 3 of \d+ .* is missing/);
    await assert.rejects(fetchTrainingData(redis, { ...address, pixels: 'b'.repeat(64) }, { where: 'redis' }), /not in Redis \(expired, evicted or deleted\)/);
  });

  test('a blob that lost a chunk is uploaded again, not renewed; a broken blob file on the share is replaced', async () => {
    const data = sampleData();
    inMemory(data.pixels)[2] = 3;
    const address = addressOf(data);
    await publishTrainingData(redis, data, address, { where: 'redis' }, { chunkBytes: 512 });
    await redis.del(`losslab:pixels:${address.pixels}:1`);
    const again = await publishTrainingData(redis, data, address, { where: 'redis' }, { chunkBytes: 512 });
    assert.equal(again.uploaded, true);
    assert.equal(trainingDataFingerprint(await fetchTrainingData(redis, address, { where: 'redis' })), address.data);

    const folder = temporaryDir('published-share-broken');
    await publishTrainingData(redis, data, address, { where: 'shared', folder });
    fs.truncateSync(sharedBlobPath(folder, 'pixels', address.pixels), 100);
    assert.equal((await publishTrainingData(redis, data, address, { where: 'shared', folder })).uploaded, true);
    assert.equal(trainingDataFingerprint(await fetchTrainingData(redis, address, { where: 'shared', folder })), address.data);
    assert.equal(fs.readdirSync(folder).filter((name) => name.endsWith('.partial')).length, 0, 'no partial file left');
  });

  test('pixels above the Redis limit are refused with what to do, and nothing is written', async () => {
    const data = sampleData();
    inMemory(data.pixels)[1] = 2;
    const address = addressOf(data);
    await assert.rejects(publishTrainingData(redis, data, address, { where: 'redis' }, { limitBytes: 1000 }), /more than the 0 MiB LossLab puts in Redis\. Give --data-share DIR/);
    assert.deepEqual(await redis.keys(`losslab:*:${address.pixels}:*`), []);
  });
});
