import fs from 'node:fs';
import type { ServerResponse } from 'node:http';
import type { ExportFormat } from '../api/contract';
import type { Services } from '../services/create-services';
import { sendError } from './responses';

const FORMATS: readonly ExportFormat[] = ['html', 'pdf', 'csv', 'json', 'md'];

/**
 * GET /download?id=…&format=…: a report rendered into a temporary folder on the server and sent
 * as an attachment, so the browser saves it on the user's machine (CSV: one .zip of the tables).
 * Nothing stays on the server's disk. With &run=<run id> instead of a format: that run's trained
 * model as a .zip.
 */
export async function handleDownloadRequest(response: ServerResponse, url: URL, services: Pick<Services, 'renderForDownload' | 'modelExport'>, head = false): Promise<void> {
  const id = url.searchParams.get('id') ?? '';
  const format = (url.searchParams.get('format') ?? '') as ExportFormat;
  if (!/^[\w.-]{1,128}$/.test(id)) return sendError(response, 400, 'BadRequest', 'Give the experiment as ?id=<experiment id>.');
  const run = url.searchParams.get('run');
  if (run !== null) return sendModel(response, id, run, services, head);
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

/** GET /download?id=…&run=<run id>: that run's trained model (model.json + weights.bin) as one .zip. */
function sendModel(response: ServerResponse, id: string, runId: string, services: Pick<Services, 'modelExport'>, head: boolean): void {
  if (runId.length === 0 || runId.length > 512) return sendError(response, 400, 'BadRequest', 'Give the run as &run=<run id>.');
  let zip;
  try {
    zip = services.modelExport.zip(id, runId);
  } catch (error) {
    return sendError(response, 422, (error as Error).name || 'Error', (error as Error).message);
  }
  response.writeHead(200, {
    'Content-Type': 'application/zip',
    'Content-Length': zip.bytes.length,
    'Content-Disposition': `attachment; filename="${zip.filename}"`,
    'Cache-Control': 'no-store',
  });
  response.end(head ? undefined : zip.bytes);
}
