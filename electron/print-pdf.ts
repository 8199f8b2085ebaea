import type { PdfPrinter } from '../main/report';
import type { ElectronApi } from './electron-api';

/**
 * PDF exports in the desktop app use Electron's own Chromium (webContents.printToPDF), so the
 * app needs no separate browser. The report is loaded into a hidden, sandboxed window with
 * JavaScript off (the report is static HTML with inline SVG and images), printed, and the window
 * destroyed. A data: URL keeps it off the disk; the paper size comes from the page's @page rule.
 */
export function createPdfPrinter(electron: Pick<ElectronApi, 'BrowserWindow'>): PdfPrinter {
  return async (html, paper) => {
    const window = new electron.BrowserWindow({
      show: false,
      webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false, javascript: false },
    });
    try {
      await window.loadURL(`data:text/html;base64,${Buffer.from(html, 'utf8').toString('base64')}`);
      const pdf = await window.webContents.printToPDF({
        pageSize: paper === 'a4' ? 'A4' : 'Letter',
        printBackground: true,
        preferCSSPageSize: true,
        displayHeaderFooter: true,
        headerTemplate: '<div></div>',
        footerTemplate: '<div style="font-size:8px;width:100%;text-align:center"><span class="pageNumber"></span> / <span class="totalPages"></span></div>',
      });
      return new Uint8Array(pdf);
    } finally {
      window.destroy();
    }
  };
}
