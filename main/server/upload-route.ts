import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError, sendJson } from './responses';
import { extensionOf } from './upload-names';
import { UploadError, type UploadStore } from './upload-store';

/**
 * Served mode's uploads, for a browser on another machine than the server:
 * - GET /upload: the limits and where workspaces live, so the browser refuses too-large sets up front;
 * - POST /upload?workspace=NAME&path=REL: the body is one image, stored at REL in the workspace;
 * - POST /upload?workspace=NAME&path=NAME.zip: the body is a .zip, unpacked into the workspace.
 * The answer names what was stored and the workspace's folder, which the client then opens as a dataset.
 */
export async function handleUploadRequest(request: IncomingMessage, response: ServerResponse, url: URL, store: UploadStore): Promise<void> {
  if (request.method === 'GET' || request.method === 'HEAD') {
    request.resume();
    return sendJson(response, 200, { folder: store.uploadsRoot, limits: store.limits });
  }
  if (request.method !== 'POST') {
    request.resume();
    return sendError(response, 405, 'MethodNotAllowed', 'Upload with POST /upload?workspace=…&path=….');
  }
  const workspace = url.searchParams.get('workspace') ?? '';
  const relativePath = url.searchParams.get('path') ?? '';
  const declared = Number(request.headers['content-length']);
  try {
    const stored = extensionOf(relativePath) === 'zip'
      ? await store.storeZip(workspace, request)
      : await store.storeFile(workspace, relativePath, request, Number.isFinite(declared) ? declared : undefined);
    return sendJson(response, 201, stored);
  } catch (caught) {
    const error = diskProblem(caught) ?? caught;
    if (!(error instanceof UploadError)) throw error;
    // The rest of a refused body is not wanted: close after answering instead of reading it.
    response.setHeader('Connection', 'close');
    sendError(response, error.status, error.name, error.message);
    request.resume();
  }
}

/** File-system failures the server's owner must fix, said in words instead of a 500. */
function diskProblem(error: unknown): UploadError | null {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new UploadError(507, 'The server\'s disk is full; nothing more was stored. Free space on it, or upload fewer images.', 'DiskFull');
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return new UploadError(403, 'The server cannot write below its --root folder (permission denied); restart `losslab serve` with a --root it may write to.', 'NotWritable');
  return null;
}
