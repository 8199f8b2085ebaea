import fs from 'node:fs';
import type { BrowserWindow } from 'electron';
import { writeFileAtomic } from '../main/util/atomic-write';

export interface WindowState {
  width: number;
  height: number;
  x?: number;
  y?: number;
  maximized: boolean;
}

export const DEFAULT_WINDOW_STATE: WindowState = { width: 1280, height: 860, maximized: false };
const MIN_SIZE = { width: 720, height: 520 };

function finite(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** The remembered size and place, or the default; a damaged or hand-edited file never stops the app. */
export function readWindowState(file: string): WindowState {
  try {
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<WindowState>;
    if (!finite(saved.width) || !finite(saved.height)) return { ...DEFAULT_WINDOW_STATE };
    return {
      width: Math.max(MIN_SIZE.width, Math.min(10000, Math.round(saved.width))),
      height: Math.max(MIN_SIZE.height, Math.min(10000, Math.round(saved.height))),
      ...(finite(saved.x) && finite(saved.y) ? { x: Math.round(saved.x), y: Math.round(saved.y) } : {}),
      maximized: saved.maximized === true,
    };
  } catch {
    return { ...DEFAULT_WINDOW_STATE };
  }
}

export function writeWindowState(file: string, state: WindowState): void {
  writeFileAtomic(file, JSON.stringify(state) + '\n');
}

export const WINDOW_MIN_SIZE = MIN_SIZE;

/** Saves the window's normal (unmaximised) bounds and maximised flag when it closes. */
export function enableWindowState(window: BrowserWindow, file: string): void {
  window.on('close', () => {
    const bounds = window.getNormalBounds();
    try {
      writeWindowState(file, { width: bounds.width, height: bounds.height, x: bounds.x, y: bounds.y, maximized: window.isMaximized() });
    } catch {
      // Not remembering the size is harmless; failing to close the window would not be.
    }
  });
}
