import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { defaultStoreRoot } from '../../store/paths';
import { isLoopback, startServer } from '../../server/server';
import { defaultCacheDir } from '../../util/paths';
import { parseByteSize, parseInteger, UsageError } from '../options';
import { DEFAULT_UPLOAD_LIMITS, UPLOADS_FOLDER } from '../../server/upload-store';
import { queueRunner } from '../../queue/queue-pool';
import { redactRedisUrl } from '../../queue/connection';

export const DEFAULT_PORT = 8642;

interface ServeFlags {
  port: number;
  host: string;
  root?: string;
  dataDir?: string;
  cache: boolean;
  redis?: string;
  uploadLimit: number;
  uploadFileLimit: number;
}

function existingFolder(flag: string, folder: string): string {
  const resolved = path.resolve(folder);
  if (!fs.existsSync(resolved) || !fs.statSync(resolved).isDirectory()) throw new UsageError(`${flag} ${folder} is not a folder; give an existing folder.`);
  return resolved;
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the LossLab interface and API over HTTP (for a machine without a screen, or a browser)')
    .option('--port <port>', 'port to listen on (0 picks a free one)', parseInteger('--port', 0, 65535), DEFAULT_PORT)
    .option('--host <host>', 'address to listen on; loopback by default — reach a remote machine through an SSH tunnel', '127.0.0.1')
    .option('--root <dir>', 'folder the folder browser starts at and cannot leave; datasets are opened below it (default: the current folder)')
    .option('--data-dir <dir>', `where experiments are stored (default: ${defaultStoreRoot()})`)
    .option('--no-cache', 'do not cache decoded images on disk')
    .addOption(new Option('--upload-limit <size>', `largest upload workspace (images sent from a browser into --root/${UPLOADS_FOLDER}/<workspace>), e.g. 500M or 4G`)
      .argParser(parseByteSize('--upload-limit')).default(DEFAULT_UPLOAD_LIMITS.workspaceBytes, '2G'))
    .addOption(new Option('--upload-file-limit <size>', 'largest single uploaded image')
      .argParser(parseByteSize('--upload-file-limit')).default(DEFAULT_UPLOAD_LIMITS.fileBytes, '50M'))
    .option('--redis <url>', 'queue mode: experiments started here go to `losslab worker`s serving this Redis (redis:// or rediss://)')
    .action(async (flags: ServeFlags) => {
      const browseRoot = existingFolder('--root', flags.root ?? process.cwd());
      const dataDir = path.resolve(flags.dataDir ?? defaultStoreRoot());
      let server;
      try {
        server = await startServer({
          port: flags.port,
          host: flags.host,
          browseRoot,
          dataDir,
          cacheDir: flags.cache ? defaultCacheDir() : undefined,
          uploadLimits: { workspaceBytes: flags.uploadLimit, fileBytes: Math.min(flags.uploadFileLimit, flags.uploadLimit) },
          log: (line) => process.stderr.write(`[serve] ${line}\n`),
          ...(flags.redis ? { runner: queueRunner(flags.redis, (line) => process.stderr.write(`[serve] ${line}\n`)), redisUrl: flags.redis } : {}),
        });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw new UsageError(`Port ${flags.port} is in use. Pick another with --port, or --port 0 for any free port.`);
        if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UsageError(`Cannot listen on ${flags.host}: this machine has no such address.`);
        throw error;
      }
      if (!isLoopback(flags.host)) {
        process.stderr.write(`Warning: listening on ${flags.host}, not only on this machine. Anyone who can reach it and has the URL below can use LossLab and read images below ${browseRoot}. Prefer the default host and an SSH tunnel.\n`);
      }
      process.stdout.write(`LossLab is being served. Open this URL (it contains the access token):\n\n  ${server.url}\n\n`);
      process.stdout.write(`Folder browser root: ${browseRoot}\nUploads from browsers: ${path.join(browseRoot, UPLOADS_FOLDER)}\nExperiments: ${dataDir}\n`);
      if (flags.redis) process.stdout.write(`Runs go to the workers serving ${redactRedisUrl(flags.redis)}\n`);
      process.stdout.write('Press Ctrl-C to stop.\n');
      const running = server;
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.stderr.write('\nStopping: cancelling running experiments…\n');
          void running.close().then(resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
