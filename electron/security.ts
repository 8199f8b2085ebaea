import { isAppUrl } from './app-protocol';
import type { ElectronApi, Log } from './electron-api';

/** Schemes the app's own pages may load from; everything else (http, https, file, ftp …) is blocked. */
const LOCAL_SCHEMES = new Set(['app:', 'data:', 'blob:', 'devtools:', 'chrome-extension:']);

function isLocal(url: string): boolean {
  try {
    return LOCAL_SCHEMES.has(new URL(url).protocol);
  } catch {
    return false;
  }
}

function isWebLink(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}

/**
 * Secure defaults for every web contents the app creates: no new windows (web links open in
 * the system browser instead), no navigation away from the app, no <webview>, no permissions,
 * and no network requests to anything but the app's own origin. The renderer never loads
 * remote content, so blocking it costs nothing and removes a whole class of attacks.
 */
export function enableSecurity(electron: ElectronApi, log: Log): void {
  electron.app.on('web-contents-created', (_event, contents) => {
    contents.setWindowOpenHandler(({ url }) => {
      if (isWebLink(url)) void electron.shell.openExternal(url);
      else log(`blocked a new window for ${url}`);
      return { action: 'deny' };
    });
    const stayInApp = (event: { preventDefault(): void }, url: string) => {
      if (isAppUrl(url)) return;
      event.preventDefault();
      log(`blocked navigation to ${url}`);
    };
    contents.on('will-navigate', (event, url) => stayInApp(event, url));
    contents.on('will-redirect', (event, url) => stayInApp(event, url));
    contents.on('will-attach-webview', (event) => {
      event.preventDefault();
      log('blocked a <webview>');
    });
  });

  const session = electron.session.defaultSession;
  session.setPermissionRequestHandler((_contents, permission, callback) => {
    log(`denied permission "${permission}"`);
    callback(false);
  });
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onBeforeRequest((details, callback) => {
    const allowed = isLocal(details.url);
    if (!allowed) log(`blocked a request to ${details.url}`);
    callback({ cancel: !allowed });
  });
}

/** The web preferences of every LossLab window: the renderer is a sandboxed web page with only the preload's API. */
export function secureWebPreferences(preload: string) {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  } as const;
}
