import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { findChromium } from './chromium';
import type { Paper } from './html/style';

export interface PdfOptions {
  paper: Paper;
  /** Browser executable; found with findChromium() when absent. */
  executablePath?: string;
  timeoutMs?: number;
  /** Force one printing path (tests); default: playwright-core when installed, else the browser's --print-to-pdf. */
  via?: 'playwright' | 'cli';
}

type PlaywrightChromium = {
  launch(options: { executablePath: string; args: string[]; timeout: number }): Promise<{
    newPage(): Promise<{
      route(pattern: string, handler: (route: { request(): { url(): string }; continue(): Promise<void>; abort(): Promise<void> }) => Promise<void>): Promise<void>;
      goto(url: string, options: { waitUntil: 'load'; timeout: number }): Promise<unknown>;
      pdf(options: Record<string, unknown>): Promise<Buffer>;
    }>;
    close(): Promise<void>;
  }>;
};

function loadPlaywright(): PlaywrightChromium | null {
  try {
    // Optional: present where the app's test tooling is installed; the spawn path needs nothing.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('playwright-core') as { chromium: PlaywrightChromium }).chromium;
  } catch {
    return null;
  }
}

/** Page numbers in the footer; Chromium fills the classes in. */
const FOOTER = '<div style="font-size:8px;width:100%;text-align:center;color:#57606a"><span class="pageNumber"></span> / <span class="totalPages"></span></div>';

/**
 * Prints a self-contained HTML report to PDF with headless Chromium. Through playwright-core
 * when it is installed (page numbers in the footer, every non-file request aborted), else by
 * running the browser's own --print-to-pdf. Either way the paper size comes from the page's
 * CSS @page rule, which the HTML writer set for `paper`. The sandbox is off because the page
 * is our own static file whose CSP forbids scripts and network access, and because the
 * sandbox cannot start as root or in many containers.
 */
export async function htmlToPdf(html: string, outPath: string, options: PdfOptions): Promise<void> {
  const executable = options.executablePath ?? findChromium();
  const timeout = options.timeoutMs ?? 60_000;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'losslab-pdf-'));
  try {
    const page = path.join(work, 'report.html');
    fs.writeFileSync(page, html);
    fs.mkdirSync(path.dirname(path.resolve(outPath)), { recursive: true });
    const playwright = options.via === 'cli' ? null : loadPlaywright();
    if (options.via === 'playwright' && !playwright) throw new Error('playwright-core is not installed.');
    if (playwright) await printWithPlaywright(playwright, executable, page, outPath, options.paper, timeout);
    else await printWithCli(executable, page, outPath, work, timeout);
    if (!fs.existsSync(outPath) || fs.statSync(outPath).size === 0) throw new Error(`Chromium (${executable}) did not write ${outPath}.`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function printWithPlaywright(chromium: PlaywrightChromium, executablePath: string, page: string, outPath: string, paper: Paper, timeout: number): Promise<void> {
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu'], timeout });
  try {
    const tab = await browser.newPage();
    await tab.route('**/*', (route) => (route.request().url().startsWith('file:') || route.request().url().startsWith('data:') ? route.continue() : route.abort()));
    await tab.goto(pathToFileURL(page).href, { waitUntil: 'load', timeout });
    await tab.pdf({
      path: outPath,
      format: paper === 'a4' ? 'A4' : 'Letter',
      preferCSSPageSize: true,
      printBackground: true,
      displayHeaderFooter: true,
      headerTemplate: '<div></div>',
      footerTemplate: FOOTER,
    });
  } finally {
    await browser.close();
  }
}

function printWithCli(executable: string, page: string, outPath: string, work: string, timeout: number): Promise<void> {
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--no-first-run',
    '--no-default-browser-check',
    `--user-data-dir=${path.join(work, 'profile')}`,
    '--no-pdf-header-footer',
    '--print-to-pdf-no-header',
    `--print-to-pdf=${path.resolve(outPath)}`,
    pathToFileURL(page).href,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(executable, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Chromium did not finish the PDF within ${timeout / 1000} s.`));
    }, timeout);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`Cannot start ${executable}: ${error.message}`));
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`Chromium exited with code ${code} while printing the PDF: ${stderr.trim().split('\n').slice(-3).join(' ')}`));
    });
  });
}
