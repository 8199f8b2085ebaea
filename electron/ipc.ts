import { CHANNELS, IPC_EVENT_CHANNEL, IPC_PREFIX, type ApiEvent, type ApiHandlers } from '../main/api/contract';
import { dispatch, type CallOutcome } from '../main/api/dispatch';
import { isAppUrl } from './app-protocol';
import type { ElectronApi, Log } from './electron-api';

/**
 * One IPC handler per contract channel. Each call must come from the app's own page, is
 * validated against the contract (parseRequest), and answers plain data: the result, or the
 * error as { name, message }. Rejected calls are logged, since a well-behaved renderer never
 * makes one.
 */
export function enableIpc(electron: ElectronApi, handlers: ApiHandlers, log: Log): void {
  for (const channel of CHANNELS) {
    electron.ipcMain.handle(`${IPC_PREFIX}${channel}`, async (event, payload: unknown): Promise<CallOutcome> => {
      const sender = event.senderFrame?.url;
      if (!isAppUrl(sender)) {
        log(`rejected ${channel} from ${sender ?? 'an unknown frame'}: not the app's page`);
        return { ok: false, rejected: true, error: { name: 'Forbidden', message: 'Only the LossLab window may call the LossLab API.' } };
      }
      const outcome = await dispatch(handlers, channel, payload);
      if (!outcome.ok && outcome.rejected) log(`rejected ${channel}: ${outcome.error.message}`);
      return outcome;
    });
  }
}

/** Sends every event to every open window (the services' `emit`). */
export function eventBroadcaster(electron: ElectronApi): (event: ApiEvent) => void {
  return (event) => {
    for (const window of electron.BrowserWindow.getAllWindows()) {
      if (!window.isDestroyed()) window.webContents.send(IPC_EVENT_CHANNEL, event);
    }
  };
}
