import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ApiEvent, EventName } from '../api/contract';
import { temporaryDir, writeMnistFolder } from '../../tests/fixtures/mnist-folder';
import { createServices, type Services, type ServicesOptions } from './create-services';

export { temporaryDir, writeMnistFolder };

/** Services over fresh temporary store and cache folders, recording every event they emit. */
export function servicesForTest(options: Partial<ServicesOptions> = {}): Services & { events: ApiEvent[]; dataDir: string; nextEvent: (type: EventName, test?: (event: ApiEvent) => boolean) => Promise<ApiEvent> } {
  const events: ApiEvent[] = [];
  const waiters: { type: EventName; test: (event: ApiEvent) => boolean; resolve: (event: ApiEvent) => void }[] = [];
  const dataDir = options.dataDir ?? temporaryDir('store');
  const services = createServices({
    dataDir,
    cacheDir: undefined,
    ...options,
    emit: (event) => {
      events.push(event);
      options.emit?.(event);
      for (const waiter of [...waiters]) {
        if (waiter.type === event.type && waiter.test(event)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(event);
        }
      }
    },
  });
  return {
    ...services,
    events,
    dataDir,
    nextEvent: (type, test = () => true) => {
      const seen = events.find((event) => event.type === type && test(event));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ type, test, resolve }));
    },
  };
}

/** A folder of tiny coloured squares: `classes` classes × `perClass` PNGs, written with sharp. */
export async function writeColourFolder(dir: string, classes: string[], perClass: number): Promise<string> {
  const sharp = (await import('sharp')).default;
  for (const [c, name] of classes.entries()) {
    fs.mkdirSync(path.join(dir, name), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const background = { r: (c * 97 + i * 7) % 256, g: (c * 53) % 256, b: (i * 31) % 256 };
      await sharp({ create: { width: 20, height: 12, channels: 3, background } }).png().toFile(path.join(dir, name, `${i}.png`));
    }
  }
  return dir;
}

export function tmpFile(name: string): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-file-')), name);
}
