import { EventEmitter } from 'node:events';
import type { ElectronApi } from './electron-api';

/**
 * A stand-in for the parts of the `electron` module LossLab uses, recording what the main
 * process asked of it. Tests hand it to startApp() and the enable*() modules in place of the
 * real module, so the wiring runs in plain Node.
 */

export class FakeEvent {
  defaultPrevented = false;
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

export class FakeWebContents extends EventEmitter {
  sent: { channel: string; data: unknown }[] = [];
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  send(channel: string, data: unknown): void {
    this.sent.push({ channel, data });
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }
}

export function createFakeElectron(options: { singleInstanceLock?: boolean; userData?: string } = {}) {
  const calls: string[] = [];
  let markReady: () => void = () => undefined;
  const readyPromise = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  let isReady = false;

  class App extends EventEmitter {
    isPackaged = false;
    quitRequests = 0;
    hasQuit = false;
    readonly paths = new Map<string, string>(options.userData ? [['userData', options.userData]] : []);
    setPath(name: string, value: string): void {
      calls.push(`app.setPath:${name}`);
      this.paths.set(name, options.userData ?? value);
    }
    getPath(name: string): string {
      const value = this.paths.get(name);
      if (!value) throw new Error(`no fake path ${name}`);
      return value;
    }
    requestSingleInstanceLock(): boolean {
      calls.push('app.requestSingleInstanceLock');
      return options.singleInstanceLock ?? true;
    }
    whenReady(): Promise<void> {
      return readyPromise;
    }
    /** Like Electron: 'before-quit' first; quitting happens only if no listener prevented it. */
    quit(): void {
      this.quitRequests++;
      const event = new FakeEvent();
      this.emit('before-quit', event);
      if (!event.defaultPrevented) this.hasQuit = true;
    }
  }
  const app = new App();

  class BrowserWindow extends EventEmitter {
    static windows: BrowserWindow[] = [];
    static focused: BrowserWindow | null = null;
    static getAllWindows(): BrowserWindow[] {
      return BrowserWindow.windows.filter((w) => !w.destroyed);
    }
    static getFocusedWindow(): BrowserWindow | null {
      return BrowserWindow.focused;
    }
    readonly webContents = new FakeWebContents();
    url = '';
    destroyed = false;
    shown = false;
    minimized = false;
    maximized = false;
    focusCount = 0;
    constructor(readonly options: Record<string, any>) {
      super();
      calls.push('new BrowserWindow');
      BrowserWindow.windows.push(this);
    }
    loadURL(url: string): Promise<void> {
      this.url = url;
      return Promise.resolve();
    }
    isDestroyed(): boolean {
      return this.destroyed;
    }
    isMinimized(): boolean {
      return this.minimized;
    }
    isMaximized(): boolean {
      return this.maximized;
    }
    restore(): void {
      this.minimized = false;
    }
    show(): void {
      this.shown = true;
    }
    focus(): void {
      this.focusCount++;
    }
    maximize(): void {
      this.maximized = true;
    }
    getNormalBounds() {
      return { x: this.options.x ?? 10, y: this.options.y ?? 20, width: this.options.width, height: this.options.height };
    }
  }

  const ipcHandlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
  const ipcMain = {
    handle(channel: string, handler: (event: unknown, ...args: unknown[]) => unknown) {
      if (ipcHandlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
      ipcHandlers.set(channel, handler);
    },
  };

  const dialog = {
    nextOpen: { canceled: true, filePaths: [] as string[] },
    nextSave: { canceled: true, filePath: '' },
    asked: [] as unknown[][],
    async showOpenDialog(...args: unknown[]) {
      dialog.asked.push(args);
      return dialog.nextOpen;
    },
    async showSaveDialog(...args: unknown[]) {
      dialog.asked.push(args);
      return dialog.nextSave;
    },
  };

  const Menu = {
    current: null as { template: any[] } | null,
    buildFromTemplate: (template: any[]) => ({ template }),
    setApplicationMenu(menu: { template: any[] }) {
      Menu.current = menu;
    },
  };

  const protocol = {
    privileged: [] as { scheme: string; privileges: Record<string, boolean> }[],
    registeredBeforeReady: false,
    handlers: new Map<string, (request: Request) => Promise<Response> | Response>(),
    registerSchemesAsPrivileged(schemes: { scheme: string; privileges: Record<string, boolean> }[]) {
      protocol.registeredBeforeReady = !isReady;
      protocol.privileged.push(...schemes);
    },
    handle(scheme: string, handler: (request: Request) => Promise<Response> | Response) {
      protocol.handlers.set(scheme, handler);
    },
  };

  type PermissionHandler = (contents: unknown, permission: string, callback: (granted: boolean) => void) => void;
  type BeforeRequest = (details: { url: string }, callback: (response: { cancel: boolean }) => void) => void;
  const defaultSession = {
    permissionRequestHandler: null as PermissionHandler | null,
    permissionCheckHandler: null as (() => boolean) | null,
    beforeRequest: null as BeforeRequest | null,
    setPermissionRequestHandler(handler: PermissionHandler) {
      defaultSession.permissionRequestHandler = handler;
    },
    setPermissionCheckHandler(handler: () => boolean) {
      defaultSession.permissionCheckHandler = handler;
    },
    webRequest: {
      onBeforeRequest(handler: BeforeRequest) {
        defaultSession.beforeRequest = handler;
      },
    },
  };

  const shell = {
    opened: [] as string[],
    async openExternal(url: string) {
      shell.opened.push(url);
    },
  };

  const fake = { app, BrowserWindow, ipcMain, dialog, Menu, protocol, session: { defaultSession }, shell };
  return {
    electron: fake as unknown as ElectronApi,
    fake,
    calls,
    ready() {
      isReady = true;
      markReady();
    },
    /** Calls an IPC handler the way Electron would for a message from a frame at `senderUrl`. */
    async invoke(channel: string, payload: unknown, senderUrl = 'app://losslab/index.html'): Promise<any> {
      const handler = ipcHandlers.get(channel);
      if (!handler) throw new Error(`No IPC handler for ${channel}`);
      return handler({ senderFrame: { url: senderUrl }, sender: {} }, payload);
    },
    ipcChannels: () => [...ipcHandlers.keys()],
  };
}
