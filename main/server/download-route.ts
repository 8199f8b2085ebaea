import fs from 'node:fs';
import type { ServerResponse } from 'node:http';
import type { ExportFormat } from '../api/contract';
import type { Services } from '../services/create-services';
import { sendError } from './responses';

const FORMATS: readonly ExportFormat[] = ['html', 'pdf', 'csv', 'json', 'md'];

/**
 * GET /download?id=…&format=…: a report rendered into a temporary folder on the server and sent
 * as an attachment, so the browser saves it on the user's machine (CSV: one .zip of the tables).
 * Nothing stays on the server's disk.
 */
export async function handleDownloadRequest(response: ServerResponse, url: URL, services: Pick<Services, 'renderForDownload'>, head = false): Promise<void> {
  const id = url.searchParams.get('id') ?? '';
  const format = (url.searchParams.get('format') ?? '') as ExportFormat;
  if (!/^[\w.-]{1,128}$/.test(id)) return sendError(response, 400, 'BadRequest', 'Give the experiment as ?id=<experiment id>.');
  if (!FORMATS.includes(format)) return sendError(response, 400, 'BadRequest', `Give the format as &format=, one of ${FORMATS.join(', ')}.`);
  let rendered;
  try {
    rendered = await services.renderForDownload(id, format);
  } catch (error) {
    return sendError(response, 422, (error as Error).name || 'Error', (error as Error).message);
  }
  const { file, filename, contentType, cleanup } = rendered;
  try {
    const size = fs.statSync(file).size;
    response.writeHead(200, {
      'Content-Type': contentType,
      'Content-Length': size,
      'Content-Disposition': `attachment; filename="${filename}"`,
      'Cache-Control': 'no-store',
    });
    if (head) {
      response.end();
      cleanup();
      return;
    }
    await new Promise<void>((resolve) => {
      const stream = fs.createReadStream(file);
      const done = () => resolve();
      stream.on('error', () => {
        response.destroy();
        done();
      });
      response.on('close', done);
      stream.pipe(response);
    });
  } finally {
    cleanup();
  }
}
