import type * as Electron from 'electron';

/**
 * The part of the `electron` module the main process uses. Every module here receives it as a
 * parameter instead of importing 'electron' itself: main.ts passes the real module, and tests
 * pass a fake, so all wiring runs in plain Node without an Electron runtime.
 */
export type ElectronApi = Pick<typeof Electron, 'app' | 'BrowserWindow' | 'dialog' | 'ipcMain' | 'Menu' | 'protocol' | 'session' | 'shell'>;

export type Log = (line: string) => void;
