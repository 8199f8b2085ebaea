import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ElectronApi } from './electron-api';
import { createPdfPrinter } from './print-pdf';

test('PDF exports print through a hidden, script-less window that is always destroyed', async () => {
  const seen: { options?: Record<string, unknown>; url?: string; print?: Record<string, unknown>; destroyed: boolean } = { destroyed: false };
  class FakeWindow {
    webContents = {
      printToPDF: async (options: Record<string, unknown>) => {
        seen.print = options;
        return Buffer.from('%PDF-1.7 fake');
      },
    };
    constructor(options: Record<string, unknown>) {
      seen.options = options;
    }
    async loadURL(url: string) {
      seen.url = url;
    }
    destroy() {
      seen.destroyed = true;
    }
  }
  const print = createPdfPrinter({ BrowserWindow: FakeWindow as unknown as ElectronApi['BrowserWindow'] });
  const bytes = await print('<h1>Report</h1>', 'letter');
  assert.equal(Buffer.from(bytes).toString(), '%PDF-1.7 fake');
  assert.equal(seen.options?.show, false);
  assert.deepEqual((seen.options?.webPreferences as Record<string, unknown>).javascript, false);
  assert.equal(Buffer.from(seen.url!.replace('data:text/html;base64,', ''), 'base64').toString(), '<h1>Report</h1>');
  assert.equal(seen.print?.pageSize, 'Letter');
  assert.equal(seen.print?.preferCSSPageSize, true);
  assert.ok(seen.destroyed);

  seen.destroyed = false;
  const failing = createPdfPrinter({
    BrowserWindow: class extends FakeWindow {
      override async loadURL(): Promise<void> {
        throw new Error('load failed');
      }
    } as unknown as ElectronApi['BrowserWindow'],
  });
  await assert.rejects(failing('<p>x</p>', 'a4'), /load failed/);
  assert.ok(seen.destroyed, 'the window goes even when printing fails');
});
