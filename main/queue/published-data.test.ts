import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { temporaryDir } from '../../tests/fixtures/mnist-folder';
import type { TrainingData } from '../engine/types';
import { decodeTrainingData, encodeTrainingData, fetchTrainingData, publishTrainingData, sharedBlobPath } from './published-data';
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

test('a data blob decodes to the same data: same fingerprint, pixels shareable with training threads', () => {
  const data = sampleData();
  const back = decodeTrainingData(encodeTrainingData(data));
  assert.equal(trainingDataFingerprint(back), trainingDataFingerprint(data));
  assert.ok(inMemory(back.pixels).buffer instanceof SharedArrayBuffer);
  assert.deepEqual([...back.test], [...data.test]);
  assert.deepEqual(back.channelStd, data.channelStd);
  assert.throws(() => decodeTrainingData(encodeTrainingData(data).subarray(0, 200)), /cut short/);
  assert.throws(() => decodeTrainingData(Buffer.from('not a blob at all')), /not a LossLab data blob/);
});

test('a shared folder holds one file per fingerprint, named by it alone', async () => {
  const data = sampleData();
  const fingerprint = trainingDataFingerprint(data);
  const folder = path.join(temporaryDir('published-share'), 'share');
  const first = await publishTrainingData(null as never, data, fingerprint, { where: 'shared', folder });
  const second = await publishTrainingData(null as never, data, fingerprint, { where: 'shared', folder });
  assert.deepEqual([first.uploaded, second.uploaded], [true, false]);
  assert.deepEqual(fs.readdirSync(folder), [`${fingerprint}.losslab-data`]);
  const back = await fetchTrainingData(null as never, fingerprint, { where: 'shared', folder });
  assert.equal(trainingDataFingerprint(back), fingerprint);
  assert.throws(() => sharedBlobPath(folder, '../../etc/passwd'), /64 hex digits/);
  // A blob whose bytes changed on the share is refused by its fingerprint.
  const file = sharedBlobPath(folder, fingerprint);
  const bytes = fs.readFileSync(file);
  bytes[bytes.length - 100] ^= 0xff;
  fs.writeFileSync(file, bytes);
  await assert.rejects(fetchTrainingData(null as never, fingerprint, { where: 'shared', folder }), /does not match its fingerprint/);
  await assert.rejects(fetchTrainingData(null as never, fingerprint, { where: 'shared', folder: temporaryDir('published-empty') }), /not in .* on this machine/);
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

  test('published in chunks once per fingerprint, fetched back bit for bit', async () => {
    const data = sampleData();
    const fingerprint = trainingDataFingerprint(data);
    const first = await publishTrainingData(redis, data, fingerprint, { where: 'redis' }, { chunkBytes: 512 });
    const again = await publishTrainingData(redis, data, fingerprint, { where: 'redis' }, { chunkBytes: 512 });
    assert.deepEqual([first.uploaded, again.uploaded], [true, false]);
    const chunks = (await redis.keys(`losslab:data:${fingerprint}:*`)).filter((key) => !key.endsWith(':meta'));
    assert.equal(chunks.length, Math.ceil(first.bytes / 512));
    assert.ok((await redis.ttl(`losslab:data:${fingerprint}:meta`)) > 24 * 3600);
    const back = await fetchTrainingData(redis, fingerprint, { where: 'redis' });
    assert.equal(trainingDataFingerprint(back), fingerprint);
    assert.deepEqual(Buffer.from(inMemory(back.pixels)), Buffer.from(inMemory(data.pixels)));
  });

  test('a changed or missing chunk is refused, never trained on', async () => {
    const data = sampleData();
    inMemory(data.pixels)[0] = 1; // another dataset, another fingerprint
    const fingerprint = trainingDataFingerprint(data);
    await publishTrainingData(redis, data, fingerprint, { where: 'redis' }, { chunkBytes: 512 });
    const chunk = (await redis.getBuffer(`losslab:data:${fingerprint}:1`))!;
    chunk[10] ^= 0xff;
    await redis.set(`losslab:data:${fingerprint}:1`, chunk);
    await assert.rejects(fetchTrainingData(redis, fingerprint, { where: 'redis' }), /does not match its fingerprint/);
    await redis.del(`losslab:data:${fingerprint}:2`);
    await assert.rejects(fetchTrainingData(redis, fingerprint, { where: 'redis' }), /chunk 3 of \d+ .* is missing/);
    await assert.rejects(fetchTrainingData(redis, 'b'.repeat(64), { where: 'redis' }), /not in Redis \(expired, evicted or deleted\)/);
  });

  test('a blob that lost a chunk is uploaded again, not renewed; a broken blob file on the share is replaced', async () => {
    const data = sampleData();
    inMemory(data.pixels)[2] = 3;
    const fingerprint = trainingDataFingerprint(data);
    await publishTrainingData(redis, data, fingerprint, { where: 'redis' }, { chunkBytes: 512 });
    await redis.del(`losslab:data:${fingerprint}:1`);
    const again = await publishTrainingData(redis, data, fingerprint, { where: 'redis' }, { chunkBytes: 512 });
    assert.equal(again.uploaded, true);
    assert.equal(trainingDataFingerprint(await fetchTrainingData(redis, fingerprint, { where: 'redis' })), fingerprint);

    const folder = temporaryDir('published-share-broken');
    await publishTrainingData(redis, data, fingerprint, { where: 'shared', folder });
    const file = sharedBlobPath(folder, fingerprint);
    fs.truncateSync(file, 100);
    assert.equal((await publishTrainingData(redis, data, fingerprint, { where: 'shared', folder })).uploaded, true);
    assert.equal(trainingDataFingerprint(await fetchTrainingData(redis, fingerprint, { where: 'shared', folder })), fingerprint);
    assert.deepEqual(fs.readdirSync(folder), [`${fingerprint}.losslab-data`], 'no partial file left');
  });

  test('data above the Redis limit is refused with what to do, and nothing is written', async () => {
    const data = sampleData();
    inMemory(data.pixels)[1] = 2;
    const fingerprint = trainingDataFingerprint(data);
    await assert.rejects(publishTrainingData(redis, data, fingerprint, { where: 'redis' }, { limitBytes: 1000 }), /more than the 0 MiB LossLab puts in Redis\. Give --data-share DIR/);
    assert.deepEqual(await redis.keys(`losslab:data:${fingerprint}:*`), []);
  });
});
