import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';

/**
 * Resumable download of one file over HTTP(S). Bytes go to `<dest>.part`; a later call that
 * finds a `.part` asks the server for the rest with a Range request (a server that ignores it
 * and answers 200 makes the download start over). The finished file is checked against a
 * SHA-256 when one is given and only then renamed to `dest`, so `dest` is always complete.
 */
export interface DownloadProgress {
  url: string;
  received: number;
  /** Total bytes when the server said (Content-Length / Content-Range); null otherwise. */
  total: number | null;
  /** Bytes that were already there from an earlier, interrupted download. */
  resumedFrom: number;
}

export interface DownloadOptions {
  sha256?: string;
  onProgress?: (progress: DownloadProgress) => void;
  /** Milliseconds without a byte before the download is abandoned (default 60 s). */
  idleTimeoutMs?: number;
}

export class DownloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DownloadError';
  }
}

export class ChecksumError extends Error {
  constructor(
    readonly what: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${what} has SHA-256 ${actual}, not the expected ${expected}`);
    this.name = 'ChecksumError';
  }
}

export function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

const MAX_REDIRECTS = 5;

function request(url: string, headers: Record<string, string>, idleTimeoutMs: number, redirects = 0): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      reject(new DownloadError(`"${url}" is not a URL`));
      return;
    }
    const client = parsed.protocol === 'https:' ? https : parsed.protocol === 'http:' ? http : null;
    if (!client) {
      reject(new DownloadError(`Only http and https URLs can be downloaded, not ${parsed.protocol}`));
      return;
    }
    const req = client.get(parsed, { headers }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (redirects >= MAX_REDIRECTS) {
          reject(new DownloadError(`${url} redirected more than ${MAX_REDIRECTS} times`));
          return;
        }
        request(new URL(res.headers.location, parsed).toString(), headers, idleTimeoutMs, redirects + 1).then(resolve, reject);
        return;
      }
      resolve(res);
    });
    req.setTimeout(idleTimeoutMs, () => req.destroy(new DownloadError(`no answer from ${parsed.host} for ${idleTimeoutMs / 1000} s`)));
    req.on('error', (error) => reject(error instanceof DownloadError ? error : new DownloadError(`${url}: ${(error as NodeJS.ErrnoException).code ?? error.message}`)));
  });
}

/** Downloads `url` to `dest` (resuming a `.part` left by an earlier attempt); returns the file's SHA-256. */
export async function downloadFile(url: string, dest: string, options: DownloadOptions = {}): Promise<string> {
  const part = `${dest}.part`;
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  let have = fs.existsSync(part) ? fs.statSync(part).size : 0;
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  const res = await request(url, have > 0 ? { Range: `bytes=${have}-` } : {}, idleTimeoutMs);
  const status = res.statusCode ?? 0;
  if (status === 416 && have > 0) {
    // The .part already holds every byte (the rename was what got interrupted).
    res.resume();
  } else if (status !== 200 && status !== 206) {
    res.resume();
    throw new DownloadError(`${url} answered HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`);
  } else {
    if (status === 200) have = 0; // the server ignored the Range: start over
    const length = Number(res.headers['content-length']);
    const rangeTotal = /\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''));
    const total = rangeTotal ? Number(rangeTotal[1]) : Number.isFinite(length) ? have + length : null;
    const out = fs.createWriteStream(part, { flags: status === 206 ? 'a' : 'w' });
    let received = have;
    const resumedFrom = have;
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error) => {
        out.destroy();
        reject(error instanceof DownloadError ? error : new DownloadError(`${url}: the connection broke after ${received} bytes (${(error as NodeJS.ErrnoException).code ?? error.message})`));
      };
      res.setTimeout?.(idleTimeoutMs, () => res.destroy(new DownloadError(`${url}: no data for ${idleTimeoutMs / 1000} s after ${received} bytes`)));
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        options.onProgress?.({ url, received, total, resumedFrom });
      });
      res.on('error', fail);
      res.on('aborted', () => fail(new DownloadError(`${url}: the connection broke after ${received} bytes`)));
      out.on('error', fail);
      res.pipe(out);
      out.on('finish', () => {
        if (!res.complete || (total !== null && received < total)) {
          reject(new DownloadError(`${url}: the connection broke after ${received} of ${total ?? '?'} bytes`));
        } else resolve();
      });
    });
  }
  const actual = sha256File(part);
  if (options.sha256 && actual.toLowerCase() !== options.sha256.toLowerCase()) {
    fs.rmSync(part, { force: true });
    throw new ChecksumError(url, options.sha256.toLowerCase(), actual);
  }
  fs.renameSync(part, dest);
  return actual;
}
