import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';

/** For tests: why a real Redis cannot be had here (skip), or false. `.ci/run` installs redis-server. */
export const redisMissing = spawnSync('redis-server', ['--version']).error ? 'redis-server is not installed (apt-get install redis-server); this test needs a real Redis' : false;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export interface TestRedis {
  port: number;
  url: string;
  stop: () => Promise<void>;
}

/** A throwaway Redis on a loopback port (no persistence), accepting connections before this resolves. */
export async function startRedis(password?: string): Promise<TestRedis> {
  const port = await freePort();
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...(password ? ['--requirepass', password] : [])], { stdio: 'ignore' });
  for (let tries = 0; ; tries++) {
    const ready = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ready) break;
    if (tries > 100) throw new Error(`redis-server did not start on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    url: `redis://${password ? `:${password}@` : ''}127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
