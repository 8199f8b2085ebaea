import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Starts LossLab's served mode the way a user does (`losslab serve --port 0`) in throw-away
 * folders, and reads the URL with its access token from what the command prints.
 */

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
export const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts', 'e2e');
export const CHROMIUM = process.env['LOSSLAB_CHROMIUM'] ?? '/usr/bin/chromium';

/** Why the browser tests cannot run here, or null when they can. */
export function browserTestsSkipReason(): string | null {
  if (!existsSync(CHROMIUM)) {
    return `no Chromium at ${CHROMIUM}. Install it (Debian: apt-get install -y chromium) or point LOSSLAB_CHROMIUM at a Chromium binary to run the browser end-to-end tests.`;
  }
  if (!existsSync(path.join(REPO_ROOT, 'dist', 'renderer', 'index.html'))) {
    return 'the renderer is not built (dist/renderer/index.html is missing). Run `npm run build:renderer` first; `npm run test:e2e` does this for you.';
  }
  return null;
}

export interface ServedApp {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

export async function startServedApp(timeoutMs = 60_000): Promise<ServedApp> {
  // A server someone already started (e.g. to debug a test) can be used instead.
  const given = process.env['LOSSLAB_E2E_URL'];
  if (given) return { url: given, output: () => '', stop: async () => {} };

  const work = mkdtempSync(path.join(os.tmpdir(), 'losslab-e2e-'));
  const root = path.join(work, 'root');
  const dataDir = path.join(work, 'experiments');
  mkdirSync(root);
  mkdirSync(dataDir);
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(REPO_ROOT, 'bin', 'losslab.js'), 'serve', '--port', '0', '--root', root, '--data-dir', dataDir, '--no-cache'],
    { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`losslab serve printed no URL within ${timeoutMs / 1000} s. Output:\n${log}`)), timeoutMs);
    const look = () => {
      const match = /https?:\/\/\S+\?token=\S+/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(match[0]);
      }
    };
    child.stdout?.on('data', look);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`losslab serve exited with code ${code} before printing its URL. Output:\n${log}`));
    });
  });

  return {
    url,
    output: () => log,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(work, { recursive: true, force: true });
    },
  };
}
