import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';

/**
 * Queue mode's costs on this machine (issue #13), printed as JSON; it asserts nothing.
 *
 *   node dist/bench/queue-throughput.js [--workers 1,2,4] [--seeds 1-4] [--epochs 3] [--lock-seconds 5] [--data DIR] [--netns]
 *
 * --netns (root and iproute2): every worker process runs in its own network namespace, joined to
 * Redis's by a veth pair on a bridge, so its Redis traffic crosses a network stack as a separate
 * host's would (loopback shortcuts gone) while the CPUs stay shared.
 *
 * 1. The same study (ce and focal × the seeds on the sample digits, LossLab's default CNN) run
 *    locally (one training thread, then one per core) and through a loopback Redis with 1, 2 and
 *    4 `losslab worker` processes (one run at a time each). For each: wall time, images trained
 *    per second of wall time, and CPU seconds of every process involved (the study, the workers,
 *    redis-server) with images per CPU-second: on a machine others share, wall time counts their
 *    turns too, CPU time does not.
 * 2. Redis's share per epoch: commands, bytes in and out, and the extra CPU time per epoch
 *    against the local study with one thread.
 * 3. Takeover: two workers with --lock-seconds S; one is SIGKILLed right after an epoch of a run;
 *    the time until the other prints that it resumes the run from its checkpoint.
 */

const ROOT = path.join(__dirname, '../..');
const CLI = path.join(ROOT, 'bin/losslab.js');

interface Options {
  workers: number[];
  seeds: string;
  epochs: number;
  lockSeconds: number;
  data: string;
  netns: boolean;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { workers: [1, 2, 4], seeds: '1-4', epochs: 3, lockSeconds: 5, data: path.join(ROOT, 'assets/sample/digits'), netns: false };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1] ?? ''];
    if (flag === '--netns') {
      options.netns = true;
      i--;
    } else if (flag === '--workers') options.workers = value.split(',').map(Number);
    else if (flag === '--seeds') options.seeds = value;
    else if (flag === '--epochs') options.epochs = Number(value);
    else if (flag === '--lock-seconds') options.lockSeconds = Number(value);
    else if (flag === '--data') options.data = path.resolve(value);
    else throw new Error(`unknown option ${flag}`);
  }
  return options;
}

const TICKS = 100; // USER_HZ on Linux

/** CPU seconds of a live process, all its threads (user + system), from /proc. */
function cpuSeconds(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return 0;
  }
}

interface Proc {
  child: ChildProcess;
  output: () => string;
  waitFor: (pattern: RegExp) => Promise<number>;
  /** Resolves with the CPU seconds the process used, sampled until it exits. */
  done: Promise<number>;
}

/** Every process started, so that a failed measurement leaves none behind. */
const started: ChildProcess[] = [];

/** `host` > 0 runs the process in that worker namespace (see Hosts); nsenter execs node, so the pid is node's. */
function launch(args: string[], home: string, host = 0): Proc {
  const command = host > 0 ? ['nsenter', `--net=/var/run/netns/${NETNS_PREFIX}${host}`, process.execPath] : [process.execPath];
  const child = spawn(command[0]!, [...command.slice(1), CLI, ...args], { env: { ...process.env, HOME: home, XDG_CACHE_HOME: path.join(home, '.cache'), XDG_DATA_HOME: path.join(home, '.data') }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let text = '';
  const waiters: { pattern: RegExp; resolve: (at: number) => void }[] = [];
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    for (const waiter of waiters.splice(0)) {
      if (waiter.pattern.test(text)) waiter.resolve(performance.now());
      else waiters.push(waiter);
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  // Sampled often: what a process uses after the last sample (its final 50 ms at most) is not counted.
  let cpu = 0;
  const sampler = setInterval(() => (cpu = Math.max(cpu, cpuSeconds(child.pid!))), 50);
  const done = new Promise<number>((resolve, reject) =>
    child.on('exit', (code, signal) => {
      clearInterval(sampler);
      if (code !== 0 && signal === null) reject(new Error(`losslab ${args[0]} exited with ${code}:\n${text.slice(-3000)}`));
      else resolve(cpu);
    }),
  );
  return {
    child,
    output: () => text,
    done,
    waitFor: (pattern) =>
      new Promise<number>((resolve) => {
        if (pattern.test(text)) resolve(performance.now());
        else waiters.push({ pattern, resolve });
      }),
  };
}

const NETNS_PREFIX = 'losslab-bench-w';
const BRIDGE = 'llbench0';
const SUBNET = '10.77.0';

function ip(...args: string[]): void {
  const result = spawnSync('ip', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ip ${args.join(' ')}: ${result.stderr || result.error?.message}`);
}

/** Network namespaces 1..count on a bridge at SUBNET.1 (where Redis listens too); removed by teardown. */
function makeHosts(count: number): { redisAddress: string; teardown: () => void } {
  const teardown = () => {
    for (let h = 1; h <= count; h++) spawnSync('ip', ['netns', 'del', `${NETNS_PREFIX}${h}`]);
    spawnSync('ip', ['link', 'del', BRIDGE]);
  };
  teardown();
  try {
    ip('link', 'add', BRIDGE, 'type', 'bridge');
    ip('addr', 'add', `${SUBNET}.1/24`, 'dev', BRIDGE);
    ip('link', 'set', BRIDGE, 'up');
    for (let h = 1; h <= count; h++) {
      const ns = `${NETNS_PREFIX}${h}`;
      ip('netns', 'add', ns);
      ip('link', 'add', `llbv${h}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      ip('link', 'set', `llbv${h}`, 'master', BRIDGE, 'up');
      ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${SUBNET}.${10 + h}/24`, 'dev', 'eth0');
      ip('netns', 'exec', ns, 'ip', 'link', 'set', 'eth0', 'up');
      ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
    }
  } catch (error) {
    teardown();
    throw new Error(`--netns needs root and iproute2: ${(error as Error).message}`);
  }
  return { redisAddress: `${SUBNET}.1`, teardown };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function temp(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `losslab-bench-${prefix}-`));
}

/** Images trained in a finished study: per run, epochs × its training set. */
function imagesTrained(out: string): { images: number; epochs: number } {
  const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as { dataset: { counts: { train: number[] } }; runs: { history?: { stage: string }[] }[] };
  const train = results.dataset.counts.train.reduce((sum, n) => sum + n, 0);
  const epochs = results.runs.reduce((sum, run) => sum + (run.history ?? []).filter((e) => e.stage === 'train').length, 0);
  return { images: epochs * train, epochs };
}

interface Measured {
  setup: string;
  wallSeconds: number;
  imagesPerSecond: number;
  cpuSeconds: number;
  imagesPerCpuSecond: number;
  epochs: number;
  redis?: { commandsPerEpoch: number; kilobytesInPerEpoch: number; kilobytesOutPerEpoch: number };
}

async function redisStats(redis: Redis): Promise<{ commands: number; bytesIn: number; bytesOut: number }> {
  const info = await redis.info('stats');
  const read = (key: string) => Number(new RegExp(`${key}:(\\d+)`).exec(info)?.[1] ?? 0);
  return { commands: read('total_commands_processed'), bytesIn: read('total_net_input_bytes'), bytesOut: read('total_net_output_bytes') };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const study = ['--data', options.data, '--losses', 'ce,focal', '--seeds', options.seeds, '--epochs', String(options.epochs)];
  const cores = os.cpus().length;
  const load = () => os.loadavg()[0]!.toFixed(2);
  const results: Measured[] = [];
  process.stderr.write(`queue-throughput: ${cores} cores, load ${load()}\n`);

  // The decoded-image cache is warmed once and shared, so every setup pays the same for data.
  const cacheHome = temp('home');
  const warm = launch(['run', ...study, '--seeds', '1', '--epochs', '1', '--out', path.join(temp('warm'), 's')], cacheHome);
  await warm.done;

  for (const threads of [1, 0]) {
    const out = path.join(temp('local'), 's');
    const started = performance.now();
    const run = launch(['run', ...study, '--workers', String(threads), '--out', out], cacheHome);
    const cpu = await run.done;
    const wall = (performance.now() - started) / 1000;
    const { images, epochs } = imagesTrained(out);
    results.push({ setup: `local, ${threads === 0 ? `one thread per core (${cores})` : '1 thread'}`, wallSeconds: wall, imagesPerSecond: images / wall, cpuSeconds: cpu, imagesPerCpuSecond: images / cpu, epochs });
    process.stderr.write(`${results.at(-1)!.setup}: ${wall.toFixed(1)} s (load ${load()})\n`);
  }

  const port = await freePort();
  const hosts = options.netns ? makeHosts(Math.max(2, ...options.workers)) : null;
  const address = hosts?.redisAddress ?? '127.0.0.1';
  const redisServer = spawn('redis-server', ['--port', String(port), '--bind', ...(hosts ? ['127.0.0.1', address] : ['127.0.0.1']), '--protected-mode', 'no', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://${address}:${port}`;
  const redis = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: null });
  redis.on('error', () => undefined); // refused until redis-server listens; ioredis retries
  try {
    await redis.ping();
    for (const count of options.workers) {
      const workers = Array.from({ length: count }, (_, i) => launch(['worker', '--redis', url], cacheHome, hosts ? i + 1 : 0));
      await Promise.all(workers.map((w) => w.waitFor(/serving/)));
      const workerCpuBefore = workers.map((w) => cpuSeconds(w.child.pid!));
      const redisCpuBefore = cpuSeconds(redisServer.pid!);
      const statsBefore = await redisStats(redis);
      const out = path.join(temp('queue'), 's');
      const started = performance.now();
      const run = launch(['run', ...study, '--redis', url, '--out', out], cacheHome);
      const studyCpu = await run.done;
      const wall = (performance.now() - started) / 1000;
      const statsAfter = await redisStats(redis);
      const workerCpu = workers.reduce((sum, w, i) => sum + cpuSeconds(w.child.pid!) - workerCpuBefore[i]!, 0);
      const redisCpu = cpuSeconds(redisServer.pid!) - redisCpuBefore;
      for (const w of workers) w.child.kill('SIGKILL');
      await Promise.all(workers.map((w) => w.done));
      const { images, epochs } = imagesTrained(out);
      const cpu = studyCpu + workerCpu + redisCpu;
      results.push({
        setup: `queue, ${count} worker process${count === 1 ? '' : 'es'}${hosts ? ' (own network namespaces)' : ''}`,
        wallSeconds: wall,
        imagesPerSecond: images / wall,
        cpuSeconds: cpu,
        imagesPerCpuSecond: images / cpu,
        epochs,
        redis: {
          // Includes this bench's own INFO command and the workers' idle polling meanwhile.
          commandsPerEpoch: (statsAfter.commands - statsBefore.commands) / epochs,
          kilobytesInPerEpoch: (statsAfter.bytesIn - statsBefore.bytesIn) / epochs / 1024,
          kilobytesOutPerEpoch: (statsAfter.bytesOut - statsBefore.bytesOut) / epochs / 1024,
        },
      });
      process.stderr.write(`${results.at(-1)!.setup}: ${wall.toFixed(1)} s (load ${load()})\n`);
    }

    // Takeover after a worker's death.
    const lock = ['--lock-seconds', String(options.lockSeconds)];
    const first = launch(['worker', '--redis', url, ...lock], cacheHome, hosts ? 1 : 0);
    await first.waitFor(/serving/);
    const out = path.join(temp('takeover'), 's');
    // Enough epochs that the run is still in progress when its worker dies after the first.
    const run = launch(['run', ...study, '--seeds', '1', '--epochs', String(Math.max(options.epochs, 4)), '--redis', url, '--out', out], cacheHome);
    await first.waitFor(/ce#seed1 train epoch 1\//);
    // The second worker starts only now, so the run cannot be anywhere but on the first.
    const second = launch(['worker', '--redis', url, ...lock], cacheHome, hosts ? 2 : 0);
    await second.waitFor(/serving/);
    const killedAt = performance.now();
    first.child.kill('SIGKILL');
    const resumedAt = await second.waitFor(/run ce#seed1 .*resuming from epoch/);
    await run.done;
    second.child.kill('SIGKILL');
    await Promise.all([first.done, second.done]);
    const local1 = results[0]!;
    const overhead = results.find((r) => r.setup.startsWith('queue, 1 worker process'));
    process.stdout.write(
      `${JSON.stringify(
        {
          machine: { cores, cpu: os.cpus()[0]?.model ?? 'unknown', loadAverageAtEnd: os.loadavg() },
          workersOnOwnNetworkNamespaces: options.netns,
          study: { data: options.data, losses: 'ce,focal', seeds: options.seeds, epochs: options.epochs, model: 'default CNN' },
          results,
          redisOverheadPerEpoch: overhead
            ? {
                extraWallSeconds: overhead.wallSeconds / overhead.epochs - local1.wallSeconds / local1.epochs,
                extraCpuSeconds: overhead.cpuSeconds / overhead.epochs - local1.cpuSeconds / local1.epochs,
                ...overhead.redis,
              }
            : null,
          takeover: { lockSeconds: options.lockSeconds, secondsFromSigkillToResume: (resumedAt - killedAt) / 1000 },
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    redis.disconnect();
    redisServer.kill('SIGKILL');
    for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
    hosts?.teardown();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
