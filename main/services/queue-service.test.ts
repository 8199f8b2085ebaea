import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { queueRunner } from '../queue/queue-pool';
import { QueueChoice } from './queue-choice';
import { createQueueService } from './queue-service';

test('queue.workers without a queue: says runs train locally, and reaches for no network', async () => {
  assert.deepEqual(await createQueueService(new QueueChoice({ mode: 'served' })).workers({}), { queue: null, workers: [] });
});

test('queue.workers when Redis is not there: a message naming the queue without its password, not a hang', async () => {
  // A port that was free a moment ago: nothing listens there.
  const port = await new Promise<number>((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port: free } = server.address() as net.AddressInfo;
      server.close(() => resolve(free));
    });
  });
  const url = `redis://:sekrit-pw@127.0.0.1:${port}`;
  const service = createQueueService(new QueueChoice({ mode: 'served', initial: { url, runner: queueRunner(url) } }));
  try {
    await assert.rejects(service.workers({}), (error: Error) => {
      assert.match(error.message, new RegExp(`Could not read the workers from redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}`));
      assert.doesNotMatch(error.message, /sekrit-pw/);
      return true;
    });
  } finally {
    service.shutdown();
  }
});
