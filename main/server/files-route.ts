import type { ServerResponse } from 'node:http';
import type { FolderAccess } from '../services/folder-access';
import { ImageFileError, readDisplayImage } from '../services/image-files';
import { sendError } from './responses';

/** GET /files?path=…[&size=N]: an image below a chosen folder, optionally as a thumbnail. */
export async function handleFileRequest(response: ServerResponse, url: URL, access: FolderAccess): Promise<void> {
  const file = url.searchParams.get('path');
  if (!file) return sendError(response, 400, 'BadRequest', 'Give the image as ?path=<absolute path>.');
  const sizeText = url.searchParams.get('size');
  let size: number | undefined;
  if (sizeText !== null) {
    size = Number(sizeText);
    if (!Number.isInteger(size) || size < 8 || size > 1024) return sendError(response, 400, 'BadRequest', 'size must be a whole number of pixels from 8 to 1024.');
  }
  try {
    const image = await readDisplayImage(access, file, size);
    response.writeHead(200, { 'Content-Type': image.contentType, 'Content-Length': image.body.length, 'Cache-Control': 'private, no-cache' });
    response.end(image.body);
  } catch (error) {
    if (error instanceof ImageFileError) return sendError(response, error.status, error.name, error.message);
    throw error;
  }
}
