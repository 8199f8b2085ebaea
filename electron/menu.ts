import type { MenuItemConstructorOptions } from 'electron';
import type { AppCommand } from '../main/api/contract';
import type { ElectronApi } from './electron-api';

/**
 * The application menu: the platform's usual Edit, View and Window menus (roles give them the
 * standard shortcuts), plus File commands the renderer carries out. Developer tools only in an
 * unpackaged build.
 */
export function menuTemplate(platform: NodeJS.Platform, command: (name: AppCommand) => void, developer: boolean): MenuItemConstructorOptions[] {
  const mac = platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [];
  if (mac) template.push({ role: 'appMenu' });
  template.push(
    {
      label: '&File',
      submenu: [
        { label: 'Open Dataset Folder…', accelerator: 'CmdOrCtrl+O', click: () => command('openFolder') },
        { label: 'Use Sample Dataset', click: () => command('openSample') },
        { type: 'separator' },
        { label: 'Experiment', accelerator: 'CmdOrCtrl+E', click: () => command('showExperiment') },
        { label: 'History', accelerator: 'CmdOrCtrl+H', click: () => command('showHistory') },
        { type: 'separator' },
        mac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: '&View',
      submenu: [
        ...(developer ? [{ role: 'reload' as const }, { role: 'toggleDevTools' as const }, { type: 'separator' as const }] : []),
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
  );
  return template;
}

export function enableMenu(electron: ElectronApi, command: (name: AppCommand) => void): void {
  const template = menuTemplate(process.platform, command, !electron.app.isPackaged);
  electron.Menu.setApplicationMenu(electron.Menu.buildFromTemplate(template));
}
