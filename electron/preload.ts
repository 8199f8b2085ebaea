/**
 * The preload: runs in the sandboxed renderer before the page, and exposes `window.losslab` —
 * one function per API channel, `onEvent` and `pathForFile`, nothing else. A sandboxed preload
 * may require only 'electron', so it imports nothing of LossLab but types; the channel names are
 * written out here and checked against the contract at compile time and by preload.test.ts.
 */
import type { IpcRenderer, WebUtils } from 'electron';
import type { ApiEvent, Channel, DesktopBridge, Responses, SerializedError } from '../main/api/contract';

export const PRELOAD_CHANNELS = [
  'losses.list',
  'methods.list',
  'backends.list',
  'doctor.report',
  'models.describe',
  'dataset.samplePath',
  'dataset.open',
  'dataset.previewImbalance',
  'experiment.start',
  'sweep.plan',
  'sweep.start',
  'sweeps.list',
  'experiment.cancel',
  'experiment.resume',
  'experiments.list',
  'experiments.get',
  'experiments.delete',
  'experiments.cellImages',
  'experiments.export',
  'experiments.analysis',
  'experiments.predictions',
  'experiments.running',
  'queue.workers',
  'queue.connect',
  'queue.disconnect',
  'app.info',
  'fs.browse',
  'dialog.openFolder',
  'dialog.saveExport',
  'dialog.saveModel',
] as const satisfies readonly Channel[];

// Compile-time proof that the list above names every channel of the contract.
type MissingChannels = Exclude<Channel, (typeof PRELOAD_CHANNELS)[number]>;
const everyChannelListed: [MissingChannels] extends [never] ? true : MissingChannels = true;
void everyChannelListed;

export const PRELOAD_IPC = { prefix: 'losslab:', events: 'losslab:event', drop: 'losslab:dropped-path' } as const;

type Outcome = { ok: true; result: unknown } | { ok: false; error: SerializedError };

function rebuild(error: SerializedError): Error {
  const rebuilt = new Error(error.message);
  rebuilt.name = error.name;
  return rebuilt;
}

/** Builds the bridge from the two Electron objects it needs (tests pass fakes). */
export function buildBridge(ipcRenderer: Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener'>, webUtils: Pick<WebUtils, 'getPathForFile'>): DesktopBridge {
  const calls: Record<string, (request: unknown) => Promise<unknown>> = {};
  for (const channel of PRELOAD_CHANNELS) {
    calls[channel] = async (request: unknown) => {
      const outcome = (await ipcRenderer.invoke(`${PRELOAD_IPC.prefix}${channel}`, request ?? {})) as Outcome;
      if (!outcome.ok) throw rebuild(outcome.error);
      return outcome.result as Responses[typeof channel];
    };
  }
  return {
    ...(calls as unknown as Omit<DesktopBridge, 'onEvent' | 'pathForFile'>),
    onEvent(listener: (event: ApiEvent) => void) {
      // The IPC event object (with `sender`) never reaches the page: only the ApiEvent does.
      const forward = (_event: unknown, apiEvent: ApiEvent) => listener(apiEvent);
      ipcRenderer.on(PRELOAD_IPC.events, forward);
      return () => {
        ipcRenderer.removeListener(PRELOAD_IPC.events, forward);
      };
    },
    async pathForFile(file: Blob) {
      const path = webUtils.getPathForFile(file as File);
      if (!path) return null;
      return (await ipcRenderer.invoke(PRELOAD_IPC.drop, path)) as string | null;
    },
  };
}

// In the renderer process only: plain-Node tests load this file for buildBridge without Electron.
if (process.type === 'renderer') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { contextBridge, ipcRenderer, webUtils } = require('electron') as typeof import('electron');
  contextBridge.exposeInMainWorld('losslab', buildBridge(ipcRenderer, webUtils));
}
