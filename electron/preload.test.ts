import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHANNELS, IPC_DROP_CHANNEL, IPC_EVENT_CHANNEL, IPC_PREFIX, type ApiEvent } from '../main/api/contract';
import { buildBridge, PRELOAD_CHANNELS, PRELOAD_IPC } from './preload';

function fakeIpcRenderer(answers: Record<string, unknown>) {
  const invoked: { channel: string; payload: unknown }[] = [];
  const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
  return {
    invoked,
    listeners,
    invoke: async (channel: string, payload: unknown) => {
      invoked.push({ channel, payload });
      return answers[channel];
    },
    on(channel: string, listener: (...args: unknown[]) => void) {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(listener);
      return this;
    },
    removeListener(channel: string, listener: (...args: unknown[]) => void) {
      listeners.get(channel)?.delete(listener);
      return this;
    },
  };
}

test("the preload's channel list and IPC names are the contract's", () => {
  assert.deepEqual([...PRELOAD_CHANNELS].sort(), [...CHANNELS].sort());
  assert.deepEqual(PRELOAD_IPC, { prefix: IPC_PREFIX, events: IPC_EVENT_CHANNEL, drop: IPC_DROP_CHANNEL });
});

test('the bridge exposes exactly one function per channel, onEvent and pathForFile', () => {
  const bridge = buildBridge(fakeIpcRenderer({}) as never, { getPathForFile: () => '' });
  assert.deepEqual(Object.keys(bridge).sort(), [...CHANNELS, 'onEvent', 'pathForFile'].sort());
  for (const value of Object.values(bridge)) assert.equal(typeof value, 'function');
});

test('calls go to the prefixed channel; results are unwrapped and errors rebuilt with their name', async () => {
  const ipc = fakeIpcRenderer({
    'losslab:app.info': { ok: true, result: { mode: 'desktop' } },
    'losslab:experiments.get': { ok: false, rejected: true, error: { name: 'ApiValidationError', message: 'Invalid request for experiments.get — id: an experiment id' } },
  });
  const bridge = buildBridge(ipc as never, { getPathForFile: () => '' });
  assert.deepEqual(await bridge['app.info']({}), { mode: 'desktop' });
  await assert.rejects(bridge['experiments.get']({ id: '..' }), (error: Error) => error.name === 'ApiValidationError' && /experiment id/.test(error.message));
  assert.deepEqual(ipc.invoked.map((i) => i.channel), ['losslab:app.info', 'losslab:experiments.get']);
});

test('onEvent forwards only the ApiEvent (never the IPC event) and unsubscribes', () => {
  const ipc = fakeIpcRenderer({});
  const bridge = buildBridge(ipc as never, { getPathForFile: () => '' });
  const received: ApiEvent[] = [];
  const stop = bridge.onEvent((event) => received.push(event));
  const event: ApiEvent = { type: 'app.command', data: { command: 'openFolder' } };
  for (const listener of ipc.listeners.get(IPC_EVENT_CHANNEL)!) listener({ sender: 'ipc internals' }, event);
  assert.deepEqual(received, [event]);
  stop();
  assert.equal(ipc.listeners.get(IPC_EVENT_CHANNEL)!.size, 0);
});

test('pathForFile resolves a dropped file through webUtils and reports it to the main process', async () => {
  const ipc = fakeIpcRenderer({ [IPC_DROP_CHANNEL]: '/data/cats' });
  const bridge = buildBridge(ipc as never, { getPathForFile: (file) => ((file as unknown as { dropped?: string }).dropped ?? '') });
  assert.equal(await bridge.pathForFile({ dropped: '/data/cats' } as unknown as Blob), '/data/cats');
  assert.deepEqual(ipc.invoked.at(-1), { channel: IPC_DROP_CHANNEL, payload: '/data/cats' });
  assert.equal(await bridge.pathForFile(new Blob(['made up in the page'])), null, 'a file without a path (built by script) gets nothing');
  assert.equal(ipc.invoked.length, 1);
});
