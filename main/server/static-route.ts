import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { isInside } from '../services/folder-access';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/** Shown when the renderer has not been built, so `losslab serve` still says what to do. */
export function notBuiltPage(rendererDir: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>LossLab</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem}code{background:#eee;padding:0 .25em}</style>
</head><body>
<h1>LossLab's interface is not built</h1>
<p>The server is running and its API answers, but there is no interface in <code>${escapeHtml(rendererDir)}</code>.</p>
<p>Build it in the LossLab folder with <code>npm run build:renderer</code> (or <code>npm run build</code>), then reload this page.</p>
</body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export type RendererFile =
  | { kind: 'file'; file: string; size: number; contentType: string; isIndex: boolean }
  | { kind: 'not-built'; root: string }
  | { kind: 'missing' };

/**
 * Which built renderer file a URL path names. Paths that would leave the folder and paths
 * without an extension (the renderer's own routes) get index.html; shared by served mode and the
 * desktop app's app:// protocol.
 */
export async function locateRendererFile(rendererDir: string, pathname: string): Promise<RendererFile> {
  const root = path.resolve(rendererDir);
  const index = path.join(root, 'index.html');
  let relative: string;
  try {
    relative = decodeURIComponent(pathname);
  } catch {
    relative = '/';
  }
  let file = path.resolve(root, `.${relative}`);
  if (!isInside(root, file) || file === root) file = index;
  let stat = await fs.stat(file).catch(() => null);
  if (!stat?.isFile() && path.extname(file) === '') {
    file = index;
    stat = await fs.stat(file).catch(() => null);
  }
  if (!stat?.isFile()) return file === index ? { kind: 'not-built', root } : { kind: 'missing' };
  return {
    kind: 'file',
    file,
    size: stat.size,
    contentType: CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
    isIndex: file === index,
  };
}

/** Vite names assets by content hash, so they can be cached; index.html must be revalidated. */
export function cacheControlFor(isIndex: boolean): string {
  return isIndex ? 'no-cache' : 'private, max-age=31536000, immutable';
}

/** GET/HEAD of the renderer's built files; unknown paths get index.html (the renderer routes itself). */
export async function handleStaticRequest(request: IncomingMessage, response: ServerResponse, pathname: string, rendererDir: string, extraHeaders: Record<string, string> = {}): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' });
    response.end('Only GET and HEAD are served here.\n');
    return;
  }
  const found = await locateRendererFile(rendererDir, pathname);
  if (found.kind === 'not-built') {
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', ...extraHeaders });
    response.end(notBuiltPage(found.root));
    return;
  }
  if (found.kind === 'missing') {
    response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    response.end('Not found.\n');
    return;
  }
  response.writeHead(200, {
    'Content-Type': found.contentType,
    'Content-Length': found.size,
    'Cache-Control': cacheControlFor(found.isIndex),
    ...(found.isIndex ? extraHeaders : {}),
  });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  createReadStream(found.file).pipe(response);
}
