import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Option, type Command } from 'commander';
import type { BackendRequest } from '../../engine/worker-protocol';
import { QueueWorker } from '../../queue/queue-worker';
import { defaultCacheDir } from '../../util/paths';
import { parseInteger, parseNumber } from '../options';

interface WorkerFlags {
  redis: string;
  concurrency: number;
  backend: BackendRequest;
  dataRoot?: string;
  dataShare?: string;
  workDir?: string;
  lockSeconds: number;
  cache: boolean;
}

/**
 * `losslab worker`: trains runs that studies started with `losslab run --redis` put on the
 * queue. SIGTERM (or Ctrl-C) lets the runs in progress finish their epoch, hands them back
 * with their checkpoint, and leaves; a second signal leaves at once.
 */
export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('train the runs of queue-mode studies (losslab run --redis) from a Redis queue')
    .requiredOption('--redis <url>', 'redis://[user:password@]host[:port][/db], or rediss:// for TLS (password also from LOSSLAB_REDIS_PASSWORD)')
    .option('--concurrency <n>', 'runs trained at once, one worker thread each', parseInteger('--concurrency', 1, 64), 1)
    .addOption(new Option('--backend <name>', 'TensorFlow.js backend').choices(['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu']).default('auto'))
    .option('--data-root <dir>', "find each study's data folder by its name under this folder (when this machine mounts the data elsewhere)")
    .option('--data-share <dir>', 'this machine\'s mount of the folder studies publish large decoded data to (losslab run --data-share)')
    .option('--work-dir <dir>', 'scratch folder for the checkpoints of runs in progress (default: a temporary folder)')
    .option('--lock-seconds <s>', 'a worker silent this long counts as dead and its run moves to another worker', parseNumber('--lock-seconds', 1, 3600), 30)
    .option('--no-cache', 'do not read or write the decoded-image cache')
    .action(async (flags: WorkerFlags) => {
      const workDir = flags.workDir ? path.resolve(flags.workDir) : fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-worker-'));
      const worker = new QueueWorker({
        redisUrl: flags.redis,
        concurrency: flags.concurrency,
        backend: flags.backend,
        workDir,
        lockSeconds: flags.lockSeconds,
        ...(flags.dataRoot ? { dataRoot: path.resolve(flags.dataRoot) } : {}),
        ...(flags.dataShare ? { dataShare: path.resolve(flags.dataShare) } : {}),
        ...(flags.cache ? { cacheDir: defaultCacheDir() } : {}),
      });
      await worker.start();
      await new Promise<void>((resolve) => {
        let signals = 0;
        const onSignal = () => {
          signals++;
          if (signals > 1) process.exit(143);
          worker.drain().then(resolve, resolve);
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
      });
      if (!flags.workDir) fs.rmSync(workDir, { recursive: true, force: true });
      process.stdout.write('worker stopped\n');
    });
}
