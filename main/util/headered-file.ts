import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * The layout of LossLab's binary cache files (decoded pixels, backbone features): an 8-byte
 * magic, the header's length (uint32 LE) and SHA-256, the JSON header, then the payload.
 */
export const HEADERED_PREFIX_BYTES = 8 + 4 + 32;

/**
 * Writes such a file atomically: a temporary file next to it, fsync, rename; on any failure the
 * temporary file is removed and the old file, if any, stays. `writeBody` appends the payload.
 */
export async function writeHeaderedFileAtomic(
  file: string,
  magic: string,
  header: Buffer,
  writeBody: (handle: fs.FileHandle) => Promise<void>,
): Promise<void> {
  const prefix = Buffer.alloc(HEADERED_PREFIX_BYTES);
  prefix.write(magic, 0, 'latin1');
  prefix.writeUInt32LE(header.length, 8);
  createHash('sha256').update(header).digest().copy(prefix, 12);
  await fs.mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await fs.open(temp, 'w');
  try {
    await handle.write(prefix);
    await handle.write(header);
    await writeBody(handle);
    await handle.sync();
    await handle.close();
    await fs.rename(temp, file);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
}
