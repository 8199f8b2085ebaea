import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Queue } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { ApiEvents } from '../api/contract';
import { parseExperimentConfig } from '../experiment/config';
import { redisOptionsFromUrl } from '../queue/connection';
import { jobIdOf, RUN_QUEUE } from '../queue/protocol';
import { queueRunner } from '../queue/queue-pool';
import { reachRedis } from '../queue/reach-redis';
import { freePort, redisMissing, startRedis, type TestRedis } from '../queue/redis-fixture';
import { servicesForTest, temporaryDir, writeMnistFolder } from './service-fixtures';

/**
 * The desktop's choice of where runs train ('queue.connect' / 'queue.disconnect'), against a
 * real Redis on a loopback port that wants a password: no answer, event, log line or stored
 * file may show it.
 */
const PASSWORD = 'pw-choice-test-5ecret';
const hidesPassword = (text: string) => assert.doesNotMatch(text, new RegExp(PASSWORD));

function desktopServices(log: string[] = []) {
  return servicesForTest({ mode: 'desktop', log: (line) => log.push(line) });
}

test('served mode refuses both calls, with or without its own queue, and says how its queue is set', async () => {
  const nowhere = 'redis://:pw@127.0.0.1:1';
  for (const services of [servicesForTest(), servicesForTest({ runner: queueRunner(nowhere), redisUrl: nowhere })]) {
    try {
      await assert.rejects(services.handlers['queue.connect']({ url: 'redis://attacker.example:6379', publishData: true }), /chosen when the server starts.*losslab serve --redis URL/);
      await assert.rejects(services.handlers['queue.disconnect']({}), /chosen when the server starts/);
    } finally {
      await services.shutdown();
    }
  }
  // The server's own queue is unchanged.
  const served = servicesForTest({ runner: queueRunner(nowhere), redisUrl: nowhere });
  await assert.rejects(served.handlers['queue.disconnect']({}));
  await assert.rejects(served.handlers['queue.workers']({}), /Could not read the workers from redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
  await served.shutdown();
});

test('a URL that is not a Redis URL is refused before any connection, and the app keeps training locally', async () => {
  const services = desktopServices();
  await assert.rejects(services.handlers['queue.connect']({ url: 'http://:pw@redis.lab:6379', publishData: true }), (error: Error) => {
    assert.match(error.message, /is not a Redis URL; use redis:\/\//);
    assert.doesNotMatch(error.message, /:pw@/);
    return true;
  });
  assert.deepEqual(await services.handlers['queue.workers']({}), { queue: null, workers: [] });
  await services.shutdown();
});

describe("the desktop's queue (a real Redis)", { skip: redisMissing }, () => {
  let redis: TestRedis;
  let port: number;
  let url: string;
  let data: string;

  before(async () => {
    redis = await startRedis(PASSWORD);
    ({ port, url } = redis);
    await reachRedis(url);
    data = await writeMnistFolder(temporaryDir('queue-choice-digits'), { digits: [0, 1, 7], perClass: 20 });
  });

  after(async () => {
    await redis?.stop();
  });

  test('connect: answers the URL without its password; queue.workers reports that queue; disconnect goes back to this computer', async () => {
    const services = desktopServices();
    try {
      assert.deepEqual(await services.handlers['queue.workers']({}), { queue: null, workers: [] });
      const connected = await services.handlers['queue.connect']({ url, publishData: true });
      assert.deepEqual(connected, { queue: `redis://:***@127.0.0.1:${port}` });
      const workers = await services.handlers['queue.workers']({});
      assert.equal(workers.queue, `redis://:***@127.0.0.1:${port}`);
      assert.ok(Array.isArray(workers.workers));
      hidesPassword(JSON.stringify([connected, workers]));
      // Workers do not load backbones: refused as in served mode, saying how to train it here instead.
      await services.access.chooseFolder(data);
      const backbone = parseExperimentConfig({ data, losses: [{ id: 'ce' }], model: { family: 'backbone', source: '/models/b/model.json' } });
      await assert.rejects(services.handlers['experiment.start']({ config: backbone }), /pretrained backbone train locally only; this app hands its runs to queue workers\. Choose "This computer" under "Where runs train"/);
      assert.deepEqual(await services.handlers['queue.disconnect']({}), { queue: null });
      assert.deepEqual(await services.handlers['queue.workers']({}), { queue: null, workers: [] });
    } finally {
      await services.shutdown();
    }
  });

  test('a Redis that is not there, or that refuses the password: refused with what to do, and the choice stays as it was', async () => {
    const services = desktopServices();
    try {
      const closed = await freePort();
      const started = Date.now();
      await assert.rejects(services.handlers['queue.connect']({ url: `redis://:${PASSWORD}@127.0.0.1:${closed}`, publishData: true }), (error: Error) => {
        assert.match(error.message, new RegExp(`^Could not reach redis://:\\*\\*\\*@127\\.0\\.0\\.1:${closed}: .*ECONNREFUSED.*\\. Start Redis there or check the URL; workers join with \`losslab worker --redis URL\`\\.$`));
        hidesPassword(error.message);
        return true;
      });
      assert.ok(Date.now() - started < 4000, 'a refused connection is reported at once, not after retries');
      assert.deepEqual(await services.handlers['queue.workers']({}), { queue: null, workers: [] });

      await services.handlers['queue.connect']({ url, publishData: true });
      await assert.rejects(services.handlers['queue.connect']({ url: `redis://:not-${PASSWORD}@127.0.0.1:${port}`, publishData: true }), (error: Error) => {
        assert.match(error.message, /^Could not reach redis:\/\/:\*\*\*@127\.0\.0\.1:\d+: .*(WRONGPASS|invalid password)/i);
        hidesPassword(error.message);
        return true;
      });
      // The queue chosen before is still the one.
      assert.equal((await services.handlers['queue.workers']({})).queue, `redis://:***@127.0.0.1:${port}`);
    } finally {
      await services.shutdown();
    }
  });

  test('once connected, experiments and sweeps started here put their runs on the queue; one already queued keeps its queue after disconnect', async () => {
    const log: string[] = [];
    const services = desktopServices(log);
    const queue = new Queue(RUN_QUEUE, { connection: redisOptionsFromUrl(url) });
    const waitForJob = async (jobId: string) => {
      for (let tries = 0; tries < 300; tries++) {
        const job = await queue.getJob(jobId);
        if (job) return job;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.fail(`job ${jobId} never appeared on the ${RUN_QUEUE} queue; log: ${log.join(' | ')}`);
    };
    try {
      await services.access.chooseFolder(data);
      await services.handlers['queue.connect']({ url, publishData: true });
      const config = parseExperimentConfig({ data, imageSize: 8, losses: [{ id: 'ce' }], model: { width: 4, depth: 1 }, training: { epochs: 1 } });
      const { id } = await services.handlers['experiment.start']({ config });
      const job = await waitForJob(jobIdOf(id, 0));
      assert.equal(await job.getState(), 'waiting', 'no worker serves this queue: the run waits for one');
      // The app's default: the decoded images went to Redis first, so workers need no copy of the folder.
      assert.equal(job.data.dataSource, 'redis');
      const client = new Redis(redisOptionsFromUrl(url) as RedisOptions);
      try {
        assert.equal(await client.exists(`losslab:split:${job.data.dataFingerprint}:meta`, `losslab:pixels:${job.data.pixelsFingerprint}:meta`), 2);
      } finally {
        client.disconnect();
      }
      // Disconnecting changes where the next study trains, not this one: its cancel still goes through the queue.
      await services.handlers['queue.disconnect']({});
      await services.handlers['experiment.cancel']({ id });
      await services.settled(id);
      assert.equal(await queue.getJob(jobIdOf(id, 0)), undefined, 'the cancelled run left the queue');
      const done = services.events.find((event) => event.type === 'experiment.done' && event.data.id === id);
      assert.deepEqual((done?.data as ApiEvents['experiment.done'] | undefined)?.runs, { done: 0, failed: 0, cancelled: 1 });

      await services.handlers['queue.connect']({ url, publishData: false });
      const sweep = await services.handlers['sweep.start']({ config: { ...config, sweep: { imbalance: [{ kind: 'exp', ratio: 1 }, { kind: 'exp', ratio: 2 }] } }, confirmed: false });
      const setting = `${sweep.id}-1-exp-1`;
      assert.equal((await waitForJob(jobIdOf(setting, 0))).data.dataSource, 'path');
      await services.handlers['experiment.cancel']({ id: setting });
      const end = await services.nextEvent('sweep.done', (event) => (event.data as { id?: string }).id === sweep.id);
      assert.equal((end.data as ApiEvents['sweep.done']).cancelled, true);
      assert.equal(await queue.getJob(jobIdOf(setting, 0)), undefined);

      assert.ok(log.some((line) => /run\(s\) of study .* on the queue; 0 worker\(s\) connected/.test(line)), log.join('\n'));
      hidesPassword(JSON.stringify(services.events));
      hidesPassword(log.join('\n'));
      for (const file of fs.readdirSync(services.dataDir, { recursive: true, encoding: 'utf8' })) {
        const full = path.join(services.dataDir, file);
        if (fs.statSync(full).isFile()) hidesPassword(fs.readFileSync(full, 'latin1'));
      }
    } finally {
      await queue.close();
      await services.shutdown();
    }
  });
});
