import { describe, expect, it, vi } from 'vitest';
import { ApiError, rebuildError, stripIpcPrefix } from './errors';
import { ElectronTransport, preloadBridge, type PreloadBridge } from './electron-transport';
import { createClient } from './client';

function bridge(overrides: Partial<PreloadBridge> = {}): PreloadBridge {
  return { onEvent: () => () => {}, pathForFile: async () => '/home/me/cats', ...overrides } as PreloadBridge;
}

describe('ElectronTransport', () => {
  it('calls the preload function named after the channel', async () => {
    const open = vi.fn(async () => ({ path: '/data' }));
    const client = createClient(new ElectronTransport(bridge({ 'dialog.openFolder': open })));
    await expect(client.api['dialog.openFolder']({})).resolves.toEqual({ path: '/data' });
    expect(open).toHaveBeenCalledWith({});
    expect(client.mode).toBe('desktop');
  });

  it("rebuilds an IPC rejection as an Error carrying only the main process's message", async () => {
    const failing = async () => {
      throw new Error("Error invoking remote method 'losslab:dataset.open': Error: The folder /x does not exist.");
    };
    const client = createClient(new ElectronTransport(bridge({ 'dataset.open': failing })));
    const failure = (await client.api['dataset.open']({ path: '/x' }).catch((e: unknown) => e)) as ApiError;
    expect(failure).toBeInstanceOf(ApiError);
    expect(failure.message).toBe('The folder /x does not exist.');
    expect(failure.channel).toBe('dataset.open');
  });

  it('keeps the name of a serialized error the preload passes on', async () => {
    const failing = async () => {
      throw { name: 'LossParamError', message: "Loss 'focal': parameter 'gamma' must be a number in [0, ∞) (got -1)." };
    };
    const client = createClient(new ElectronTransport(bridge({ 'experiment.start': failing })));
    const failure = (await client.api['experiment.start']({ config: { data: '/d', losses: [{ id: 'focal' }] } }).catch((e: unknown) => e)) as ApiError;
    expect(failure.name).toBe('LossParamError');
    expect(failure.message).toContain("parameter 'gamma'");
  });

  it('says so when the preload lacks a channel', async () => {
    const client = createClient(new ElectronTransport(bridge()));
    const failure = (await client.api['fs.browse']({}).catch((e: unknown) => e)) as ApiError;
    expect(failure.name).toBe('UnsupportedCall');
  });

  it('resolves dropped files through the preload', async () => {
    const t = new ElectronTransport(bridge());
    await expect(t.pathForFile({} as File)).resolves.toBe('/home/me/cats');
    const broken = new ElectronTransport(bridge({ pathForFile: async () => { throw new Error('not a file'); } }));
    await expect(broken.pathForFile({} as File)).resolves.toBeNull();
  });

  it('recognises the bridge only when the preload put one there', () => {
    expect(preloadBridge({})).toBeNull();
    expect(preloadBridge({ losslab: { onEvent: () => () => {} } })).not.toBeNull();
  });
});

describe('rebuildError', () => {
  it('accepts every shape an error arrives in', () => {
    expect(rebuildError({ error: { name: 'X', message: 'm' } }, 'c')).toMatchObject({ name: 'X', message: 'm' });
    expect(rebuildError('plain text', 'c')).toMatchObject({ name: 'Error', message: 'plain text' });
    expect(rebuildError(undefined, 'app.info').message).toContain('app.info');
    expect(stripIpcPrefix('no prefix here')).toBe('no prefix here');
  });
});
