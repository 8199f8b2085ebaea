import fs from 'node:fs/promises';
import type { FolderAccess } from '../main/services/folder-access';
import { ImageFileError, readDisplayImage } from '../main/services/image-files';
import { CONTENT_SECURITY_POLICY } from '../main/server/responses';
import { cacheControlFor, locateRendererFile, notBuiltPage } from '../main/server/static-route';
import type { ElectronApi } from './electron-api';

/**
 * The renderer is loaded from app://losslab/ rather than file://: a standard, secure origin of
 * its own ('self' in the CSP means exactly the app), responses that carry our headers, and the
 * same /files?path=… image route as served mode, checked against the same folder access.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'losslab';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const START_URL = `${APP_ORIGIN}/index.html`;

export function isAppUrl(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST;
  } catch {
    return false;
  }
}

/** Must run before the app is ready: privileges cannot be granted later. */
export function registerAppScheme(electron: ElectronApi): void {
  electron.protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
  ]);
}

const HEADERS = { 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff' };

function textResponse(status: number, text: string): Response {
  return new Response(text, { status, headers: { ...HEADERS, 'Content-Type': 'text/plain; charset=utf-8' } });
}

/** Answers one app:// request: an image below a chosen folder, or a file of the renderer build. */
export async function respondToAppRequest(request: Request, rendererDir: string, access: FolderAccess): Promise<Response> {
  const url = new URL(request.url);
  if (url.host !== APP_HOST) return textResponse(404, 'Not found.');
  if (request.method !== 'GET' && request.method !== 'HEAD') return textResponse(405, 'Only GET is served.');
  if (url.pathname === '/files') {
    const file = url.searchParams.get('path');
    const size = url.searchParams.has('size') ? Number(url.searchParams.get('size')) : undefined;
    if (!file || (size !== undefined && (!Number.isInteger(size) || size < 8 || size > 1024))) return textResponse(400, 'Give ?path=<absolute path> and optionally size=8..1024.');
    try {
      const image = await readDisplayImage(access, file, size);
      return new Response(new Uint8Array(image.body), { status: 200, headers: { ...HEADERS, 'Content-Type': image.contentType, 'Cache-Control': 'no-cache' } });
    } catch (error) {
      if (error instanceof ImageFileError) return textResponse(error.status, error.message);
      throw error;
    }
  }
  const found = await locateRendererFile(rendererDir, url.pathname);
  if (found.kind === 'not-built') return new Response(notBuiltPage(found.root), { status: 200, headers: { ...HEADERS, 'Content-Type': 'text/html; charset=utf-8' } });
  if (found.kind === 'missing') return textResponse(404, 'Not found.');
  const body = await fs.readFile(found.file);
  return new Response(new Uint8Array(body), { status: 200, headers: { ...HEADERS, 'Content-Type': found.contentType, 'Cache-Control': cacheControlFor(found.isIndex) } });
}

/** Serves app:// from the renderer build (after the app is ready). */
export function enableAppProtocol(electron: ElectronApi, options: { rendererDir: string; access: FolderAccess }): void {
  electron.protocol.handle(APP_SCHEME, (request) => respondToAppRequest(request, options.rendererDir, options.access));
}
