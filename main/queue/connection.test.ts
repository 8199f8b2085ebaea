import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redactRedisUrl, redisOptionsFromUrl } from './connection';

test('redis:// URLs give host, port, database and credentials', () => {
  const options = redisOptionsFromUrl('redis://worker:p%40ss@10.0.0.5:6380/2', {});
  assert.equal(options.host, '10.0.0.5');
  assert.equal(options.port, 6380);
  assert.equal(options.db, 2);
  assert.equal(options.username, 'worker');
  assert.equal(options.password, 'p@ss');
  assert.equal(options.tls, undefined);
});

test('rediss:// turns TLS on, checked against the host name', () => {
  const options = redisOptionsFromUrl('rediss://redis.lab.example:6380', {});
  assert.deepEqual(options.tls, { servername: 'redis.lab.example' });
  assert.equal(options.port, 6380);
});

test('the password can come from LOSSLAB_REDIS_PASSWORD instead of the URL', () => {
  assert.equal(redisOptionsFromUrl('redis://127.0.0.1', { LOSSLAB_REDIS_PASSWORD: 'from-env' }).password, 'from-env');
  assert.equal(redisOptionsFromUrl('redis://:in-url@127.0.0.1', { LOSSLAB_REDIS_PASSWORD: 'from-env' }).password, 'in-url');
});

test('other schemes are refused without echoing the password', () => {
  assert.throws(() => redisOptionsFromUrl('http://user:hunter2@host', {}), (error: Error) => !error.message.includes('hunter2') && /not a Redis URL/.test(error.message));
});

test('redacted URLs keep everything but the password', () => {
  assert.equal(redactRedisUrl('rediss://user:hunter2@host:6380/1'), 'rediss://user:***@host:6380/1');
  assert.equal(redactRedisUrl('redis://host:6379'), 'redis://host:6379');
  assert.equal(redactRedisUrl('not a url://user:hunter2@x'), 'not a url://***@x');
});
