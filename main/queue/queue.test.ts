import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Queue } from 'bullmq';
import sharp from 'sharp';
import { temporaryDir } from '../../tests/fixtures/mnist-folder';
import type { ExperimentResults } from '../results/types';
import { parseExperimentConfig } from '../experiment/config';
import { servicesForTest } from '../services/service-fixtures';
import { RUN_QUEUE, STUDY_PROTOCOL_VERSION } from './protocol';
import { queueRunner } from './queue-pool';
import { freePort, redisMissing } from './redis-fixture';
import { Redis } from 'ioredis';
import { readWorkerStatuses } from './worker-status';

/**
 * Queue mode end to end: a real Redis on a loopback port, `losslab worker` processes with their
 * own home folders, and `losslab run --redis` studies, compared with the same study run locally.
 */
const CLI = path.join(__dirname, '../../../bin/losslab.js');
const SAMPLE = path.join(__dirname, '../../../assets/sample/digits');
const opensslMissing = spawnSync('openssl', ['version']).error ? 'openssl is not installed; the TLS test needs it to make a certificate' : false;

/** A tiny study: 3 classes × 80 digits at 8 px, a 1-block CNN: each run trains in a second or two, long enough for a worker to be stopped mid-run. */
/** The test's Redis wants a password: no output, record or result may ever show it. */
const PASSWORD = 'pw-queue-test-5ecret';
const STUDY_ARGS = ['--losses', 'ce,focal', '--epochs', '4', '--image-size', '8', '--width', '4', '--depth', '1', '--no-cache'];

interface Proc {
  child: ChildProcess;
  output: () => string;
  waitFor: (pattern: RegExp) => Promise<void>;
  exited: Promise<number | null>;
}

function launch(args: string[], home: string, env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env, HOME: home, XDG_CACHE_HOME: path.join(home, '.cache'), XDG_DATA_HOME: path.join(home, '.data') }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    for (const waiter of waiters.splice(0)) {
      if (waiter.pattern.test(text)) waiter.resolve();
      else waiters.push(waiter);
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => text,
    exited,
    waitFor: (pattern) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(text)) return resolve();
        waiters.push({ pattern, resolve });
        void exited.then((code) => reject(new Error(`process exited (${code}) before printing ${pattern}:\n${text}`)));
      }),
  };
}

/** The numbers of a study, without what depends on the clock or on where it ran. */
function numbers(results: ExperimentResults): unknown {
  return results.runs.map((run) => {
    if (run.status !== 'done') return { runId: run.runId, status: run.status };
    return {
      runId: run.runId,
      metrics: run.metrics,
      metricsLast: run.metricsLast,
      bestEpoch: run.bestEpoch,
      history: (run.history ?? []).map((e) => [e.epoch, e.stage, e.trainLoss, e.valAccuracy, e.valBalancedAccuracy, e.learningRate]),
    };
  });
}

function readResults(dir: string): ExperimentResults {
  return JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8')) as ExperimentResults;
}

async function copyDigits(to: string, alter = false): Promise<void> {
  for (const label of ['0', '1', '2']) {
    fs.mkdirSync(path.join(to, label), { recursive: true });
    for (const name of fs.readdirSync(path.join(SAMPLE, label)).sort().slice(0, 80)) fs.copyFileSync(path.join(SAMPLE, label, name), path.join(to, label, name));
  }
  if (alter) {
    // Same names and classes, one image's pixels different: only the decoded data tells them apart.
    const file = path.join(to, '0', fs.readdirSync(path.join(to, '0')).sort()[0]!);
    const inverted = await sharp(file).negate().png().toBuffer();
    fs.writeFileSync(file, inverted);
  }
}

describe('queue mode (BullMQ on a real Redis)', { skip: redisMissing }, () => {
  let redis: ChildProcess;
  let url: string;
  let data: string;
  let local: unknown;
  const running: Proc[] = [];

  const worker = async (extra: string[] = []): Promise<Proc> => {
    const proc = launch(['worker', '--redis', url, '--lock-seconds', '2', '--no-cache', ...extra], temporaryDir('queue-worker-home'));
    running.push(proc);
    await proc.waitFor(/serving/);
    return proc;
  };
  /** Names of the workers the Workers panel would list now. */
  const listedWorkers = async (): Promise<string[]> => {
    const client = new Redis({ host: '127.0.0.1', port: Number(new URL(url).port), password: PASSWORD });
    try {
      return (await readWorkerStatuses(client)).map((w) => w.name);
    } finally {
      client.disconnect();
    }
  };
  const nameOf = (proc: Proc): string => /\[([^\]]+)\] serving/.exec(proc.output())![1]!;
  const study = (out: string) => launch(['run', '--data', data, ...STUDY_ARGS, '--out', out, '--redis', url], temporaryDir('queue-study-home'));
  const stopAll = async () => {
    for (const proc of running.splice(0)) {
      proc.child.kill('SIGKILL');
      await proc.exited;
      assert.doesNotMatch(proc.output(), new RegExp(PASSWORD));
    }
  };
  /** The study's folder is complete, matches the local study, and holds the Redis password nowhere. */
  const assertStudy = (out: string, run: Proc) => {
    assert.deepEqual(numbers(readResults(out)), local);
    assert.doesNotMatch(run.output(), new RegExp(PASSWORD));
    for (const file of ['results.json', 'experiment.json']) assert.doesNotMatch(fs.readFileSync(path.join(out, file), 'utf8'), new RegExp(PASSWORD));
    // Each run's log holds every epoch once, whichever workers and study processes trained it.
    for (const index of [0, 1]) {
      const epochs = fs.readFileSync(path.join(out, 'runs', String(index), 'log.jsonl'), 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as { epoch: number }).epoch);
      assert.deepEqual(epochs.sort(), [0, 1, 2, 3]);
    }
  };

  before(async () => {
    const port = await freePort();
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', PASSWORD], { stdio: 'ignore' });
    url = `redis://:${PASSWORD}@127.0.0.1:${port}`;
    data = path.join(temporaryDir('queue-data'), 'digits');
    await copyDigits(data);
    const out = path.join(temporaryDir('queue-local'), 'study');
    const reference = launch(['run', '--data', data, ...STUDY_ARGS, '--out', out], temporaryDir('queue-local-home'));
    assert.equal(await reference.exited, 0, reference.output());
    local = numbers(readResults(out));
  });

  after(async () => {
    await stopAll();
    redis?.kill('SIGKILL');
  });

  test('two workers and one study give the numbers of the same study run locally', async () => {
    try {
      const [a, b] = await Promise.all([worker(), worker()]);
      const out = path.join(temporaryDir('queue-two'), 'study');
      const run = study(out);
      assert.equal(await run.exited, 0, run.output());
      assertStudy(out, run);
      assert.match(run.output(), /redis:\/\/:\*\*\*@127\.0\.0\.1/);
      assert.match(a!.output() + b!.output(), /epoch 4\/4/);
      // The folder is a local study's: per-run logs, outcomes, models, and the results files.
      for (const index of [0, 1]) {
        assert.equal(fs.readFileSync(path.join(out, 'runs', String(index), 'log.jsonl'), 'utf8').trim().split('\n').length, 4);
        assert.ok(fs.existsSync(path.join(out, 'runs', String(index), 'outcome.json')));
        assert.ok(fs.existsSync(path.join(out, 'runs', String(index), 'model', 'model.json')));
      }
      assert.ok(fs.existsSync(path.join(out, 'metrics.csv')));
    } finally {
      await stopAll();
    }
  });

  test('a worker killed mid-run: another takes the run over from its checkpoint and the numbers stay the same', async () => {
    try {
      const first = await worker();
      const out = path.join(temporaryDir('queue-kill'), 'study');
      const run = study(out);
      await first.waitFor(/ce#seed1 train epoch 1\/4/);
      first.child.kill('SIGKILL');
      await first.exited;
      // A worker that died stays on the Workers panel (with its last-seen time growing) until it is long silent.
      assert.ok((await listedWorkers()).includes(nameOf(first)));
      const second = await worker();
      assert.equal(await run.exited, 0, run.output());
      assert.match(second.output(), /run ce#seed1 .*: resuming from epoch [2-4]/);
      assertStudy(out, run);
    } finally {
      await stopAll();
    }
  });

  test('a malformed job put on the queue by hand is refused and logged, and the worker keeps serving', async () => {
    const queue = new Queue(RUN_QUEUE, { connection: { host: '127.0.0.1', port: Number(new URL(url).port), password: PASSWORD, maxRetriesPerRequest: null } });
    try {
      const w = await worker();
      const foreign = await queue.add('foreign', { protocol: STUDY_PROTOCOL_VERSION + 1, studyId: 'x' });
      const malformed = await queue.add('malformed', { protocol: STUDY_PROTOCOL_VERSION, studyId: '../../etc', runIndex: -1, config: { data: '/etc' } });
      await w.waitFor(new RegExp(`refused job ${malformed.id}: malformed job`));
      await w.waitFor(new RegExp(`refused job ${foreign.id}: the job speaks study protocol ${STUDY_PROTOCOL_VERSION + 1}`));
      // The refusal is logged just before BullMQ moves the job: wait for it to leave the active state.
      const settledState = async (id: string) => {
        for (;;) {
          const state = await (await queue.getJob(id))!.getState();
          if (state !== 'active' && state !== 'waiting') return state;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      assert.equal(await settledState(malformed.id!), 'failed');
      assert.equal(await settledState(foreign.id!), 'failed');
      assert.match((await queue.getJob(malformed.id!))!.failedReason, /refused by .*malformed job/);
      const out = path.join(temporaryDir('queue-after-bad'), 'study');
      const run = study(out);
      assert.equal(await run.exited, 0, run.output());
      assertStudy(out, run);
    } finally {
      await queue.close();
      await stopAll();
    }
  });

  test('a worker whose data differs refuses the run, and it goes to another worker', async () => {
    try {
      const root = temporaryDir('queue-other-data');
      await copyDigits(path.join(root, 'digits'), true);
      const wrong = await worker(['--data-root', root]);
      const out = path.join(temporaryDir('queue-refused'), 'study');
      const run = study(out);
      await wrong.waitFor(/refused run ce#seed1 .*fingerprint/);
      await worker();
      assert.equal(await run.exited, 0, run.output());
      assertStudy(out, run);
      assert.doesNotMatch(wrong.output(), /epoch \d/);
    } finally {
      await stopAll();
    }
  });

  test('published data: workers with no copy of the dataset train the study from Redis, with the same numbers', async () => {
    try {
      // An empty --data-root: this worker could not read the dataset if it had to.
      const blind = await worker(['--data-root', temporaryDir('queue-no-data')]);
      const out = path.join(temporaryDir('queue-published'), 'study');
      const run = launch(['run', '--data', data, ...STUDY_ARGS, '--out', out, '--redis', url, '--publish-data'], temporaryDir('queue-study-home'));
      assert.equal(await run.exited, 0, run.output());
      assert.match(run.output(), /published the decoded data \([\d.]+ MiB, fingerprint [0-9a-f]{12}…\) to Redis/);
      assert.match(blind.output(), /data of study .* ready \(fetched from Redis, 240 images\)/);
      assertStudy(out, run);
    } finally {
      await stopAll();
    }
  });

  test('published to a shared folder: a worker without --data-share hands the run back, one with it trains it', async () => {
    try {
      const share = temporaryDir('queue-share');
      const noData = temporaryDir('queue-no-data');
      const without = await worker(['--data-root', noData]);
      const out = path.join(temporaryDir('queue-shared'), 'study');
      const run = launch(['run', '--data', data, ...STUDY_ARGS, '--out', out, '--redis', url, '--data-share', share], temporaryDir('queue-study-home'));
      await without.waitFor(/refused run ce#seed1 .*without --data-share DIR/);
      const withShare = await worker(['--data-root', noData, '--data-share', share]);
      assert.equal(await run.exited, 0, run.output());
      assert.match(withShare.output(), /fetched from .*queue-share/);
      assert.deepEqual(fs.readdirSync(share).map((name) => path.extname(name)).sort(), ['.losslab-pixels', '.losslab-split']);
      assertStudy(out, run);
    } finally {
      await stopAll();
    }
  });

  test('SIGTERM: the worker ends its epoch, hands the run back with its checkpoint, and leaves', async () => {
    try {
      const first = await worker();
      const out = path.join(temporaryDir('queue-term'), 'study');
      const run = study(out);
      await first.waitFor(/ce#seed1 train epoch 1\/4/);
      first.child.kill('SIGTERM');
      assert.equal(await first.exited, 0, first.output());
      assert.match(first.output(), /ce#seed1 goes back to the queue after epoch [2-3]/);
      assert.match(first.output(), /worker stopped/);
      // A worker that leaves on its own takes itself off the Workers panel.
      assert.ok(!(await listedWorkers()).includes(nameOf(first)));
      const second = await worker();
      assert.equal(await run.exited, 0, run.output());
      assert.match(second.output(), /run ce#seed1 .*: resuming from epoch [3-4]/);
      assertStudy(out, run);
    } finally {
      await stopAll();
    }
  });

  test('the study process killed and resumed with --redis: runs finished meanwhile are collected, none is trained twice', async () => {
    try {
      const w = await worker();
      const out = path.join(temporaryDir('queue-resume'), 'study');
      const run = study(out);
      await w.waitFor(/focal#seed1 train epoch 1\/4/);
      run.child.kill('SIGKILL');
      await run.exited;
      // The worker goes on without the study's process; the outcome waits in Redis.
      await w.waitFor(/focal#seed1 train epoch 4\/4/);
      const resumed = launch(['resume', out, '--redis', url, '--no-cache'], temporaryDir('queue-resume-home'));
      assert.equal(await resumed.exited, 0, resumed.output());
      assertStudy(out, resumed);
      assert.equal(w.output().match(/run ce#seed1 of study/g)?.length, 1);
      assert.equal(w.output().match(/run focal#seed1 of study/g)?.length, 1);
    } finally {
      await stopAll();
    }
  });

  for (const persistent of [true, false]) {
    test(persistent
      ? 'Redis restarted mid-study (same port, same append-only file): the study and the worker wait, then go on to the same numbers'
      : 'Redis restarted mid-study without its data: the study queues its unfinished runs again from their saved epochs, same numbers', async () => {
      const dir = temporaryDir('queue-restart');
      const port = await freePort();
      // Every write reaches the append-only file before Redis answers, so a SIGKILL loses nothing acknowledged.
      const persistence = persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
      const start = () => spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...persistence, '--requirepass', PASSWORD], { stdio: 'ignore' });
      let server = start();
      const restartUrl = `redis://:${PASSWORD}@127.0.0.1:${port}`;
      try {
        const w = launch(['worker', '--redis', restartUrl, '--lock-seconds', '2', '--no-cache'], temporaryDir('queue-restart-worker'));
        running.push(w);
        await w.waitFor(/serving/);
        const out = path.join(dir, 'study');
        const run = launch(['run', '--data', data, ...STUDY_ARGS, '--out', out, '--redis', restartUrl], temporaryDir('queue-restart-study'));
        await w.waitFor(/ce#seed1 train epoch 1\/4/);
        server.kill('SIGKILL');
        await new Promise((resolve) => server.once('exit', resolve));
        // Both sides have noticed the outage (and keep going) before Redis comes back. The outage
        // outlasts the worker's 2-second lock, so the run it held may be handed on afterwards.
        await run.waitFor(/redis: .*\(retrying\)/);
        await w.waitFor(/redis: /);
        await new Promise((resolve) => setTimeout(resolve, 2500));
        server = start();
        assert.equal(await run.exited, 0, run.output());
        assertStudy(out, run);
        if (persistent) assert.ok(fs.readdirSync(dir).some((name) => name.startsWith('appendonly')), 'Redis kept its state in the append-only file');
        else assert.match(run.output(), /is no longer in Redis .*queued again/);
      } finally {
        await stopAll();
        server.kill('SIGKILL');
      }
    });
  }

  test('rediss:// with a password from LOSSLAB_REDIS_PASSWORD and a private CA from LOSSLAB_REDIS_CA', { skip: opensslMissing }, async () => {
    const dir = temporaryDir('queue-tls');
    const [cert, key] = [path.join(dir, 'cert.pem'), path.join(dir, 'key.pem')];
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost']);
    assert.equal(made.status, 0, String(made.stderr));
    const port = await freePort();
    const tlsRedis = spawn('redis-server', ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--tls-cert-file', cert, '--tls-key-file', key, '--tls-auth-clients', 'no', '--requirepass', PASSWORD], { stdio: 'ignore' });
    const env = { LOSSLAB_REDIS_PASSWORD: PASSWORD, LOSSLAB_REDIS_CA: cert };
    const tlsUrl = `rediss://localhost:${port}`;
    try {
      const w = launch(['worker', '--redis', tlsUrl, '--no-cache'], temporaryDir('queue-tls-worker'), env);
      running.push(w);
      await w.waitFor(/serving rediss:\/\/localhost/);
      const out = path.join(dir, 'study');
      const run = launch(['run', '--data', data, ...STUDY_ARGS, '--out', out, '--redis', tlsUrl], temporaryDir('queue-tls-study'), env);
      assert.equal(await run.exited, 0, run.output());
      assertStudy(out, run);
      // Without the CA the connection is refused rather than made unchecked.
      const unchecked = launch(['worker', '--redis', tlsUrl, '--no-cache'], temporaryDir('queue-tls-nocheck'), { LOSSLAB_REDIS_PASSWORD: PASSWORD, LOSSLAB_REDIS_CA: '' });
      running.push(unchecked);
      await unchecked.waitFor(/self[- ]signed certificate/i);
    } finally {
      await stopAll();
      tlsRedis.kill('SIGKILL');
    }
  });

  test("served mode with --redis: the app's experiment goes to the workers, their progress and the Workers panel's list reach the event stream", async () => {
    const services = servicesForTest({ browseRoot: path.dirname(data), runner: queueRunner(url), redisUrl: url });
    try {
      const w = await worker();
      // The configuration STUDY_ARGS gives on the command line.
      const config = parseExperimentConfig({ data, losses: [{ id: 'ce' }, { id: 'focal' }], imageSize: 8, training: { epochs: 4 }, model: { width: 4, depth: 1 } });
      const { id } = await services.handlers['experiment.start']({ config });
      await services.settled(id);
      for (const type of ['experiment.backend', 'experiment.runStart', 'experiment.epoch', 'experiment.runSettled', 'experiment.done'] as const) {
        assert.ok(services.events.some((event) => event.type === type), `no ${type} event`);
      }
      assert.equal(services.events.filter((event) => event.type === 'experiment.epoch').length, 8);
      assert.deepEqual(numbers(readResults(path.join(services.dataDir, id))), local);
      // Each run's start brought the list of workers: the one that took it, on this host, training it.
      const listed = services.events.flatMap((event) => (event.type === 'experiment.workers' && event.data.id === id ? event.data.workers : []));
      for (const runId of ['ce#seed1', 'focal#seed1']) {
        const taker = listed.find((w) => w.runs.some((run) => run.runId === runId && run.studyId === id));
        assert.ok(taker, `no worker listed as training ${runId}`);
        assert.equal(taker.state, 'training');
        assert.equal(taker.host, os.hostname());
        assert.ok(taker.imagesPerSecond >= 0 && taker.secondsSinceSeen >= 0);
      }
      // Asked afterwards (the panel opening), the worker is idle, on the backend it chose, and the password shows nowhere.
      const answer = await services.handlers['queue.workers']({});
      assert.match(answer.queue!, /^redis:\/\/:\*\*\*@127\.0\.0\.1:/);
      // Workers killed by earlier tests are listed too (as silent), until they are long forgotten.
      const listedNow = answer.workers.find((seen) => seen.name === nameOf(w));
      assert.ok(listedNow, `${nameOf(w)} is not among ${answer.workers.map((seen) => seen.name).join(', ')}`);
      assert.equal(listedNow.state, 'idle');
      assert.deepEqual(listedNow.runs, []);
      assert.match(listedNow.backend, /^(wasm|cpu|tensorflow|webgpu)$/);
      assert.doesNotMatch(JSON.stringify(answer), new RegExp(PASSWORD));
    } finally {
      // A failure must not leave the services' Redis connections holding the test process open.
      await services.shutdown();
      await stopAll();
    }
  });
});
