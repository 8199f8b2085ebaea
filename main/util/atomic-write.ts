import fs from 'node:fs';
import path from 'node:path';

/**
 * Writes a file so that readers see either the old content or the new, never a torn file:
 * write a temporary sibling, flush it to disk, then rename over the target.
 */
/**
 * A write that failed for a reason the user can fix, said in their terms: the disk is full, the
 * folder is read-only, or permission is missing. Other errors pass through unchanged.
 */
export function describeWriteError(file: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const advice: Record<string, string> = {
    ENOSPC: 'the disk is full. Free some space or choose an output folder on another disk',
    EDQUOT: 'your disk quota is used up. Free some space or choose an output folder on another disk',
    EROFS: 'the folder is on a read-only disk. Choose another output folder',
    EACCES: 'permission denied. Choose an output folder you can write to',
    EPERM: 'permission denied. Choose an output folder you can write to',
  };
  const reason = code ? advice[code] : undefined;
  if (!reason) return error as Error;
  const wrapped = new Error(`Cannot write ${file}: ${reason}; files already written are intact.`);
  (wrapped as NodeJS.ErrnoException).code = code;
  return wrapped;
}

export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  try {
    writeAtomically(file, content);
  } catch (error) {
    throw describeWriteError(file, error);
  }
}

/**
 * Writes every byte: a single write may write only part of a large buffer (a nearly full disk
 * takes what fits and returns the shorter count; the next write then reports ENOSPC). Without
 * the loop a truncated file would be renamed into place as if it were complete.
 */
function writeAll(fd: number, bytes: Uint8Array): void {
  let offset = 0;
  while (offset < bytes.length) offset += fs.writeSync(fd, bytes, offset, bytes.length - offset);
}

function writeAtomically(file: string, content: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const fd = fs.openSync(temporary, 'w');
  try {
    writeAll(fd, typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
    fs.fsyncSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(temporary, { force: true });
    throw error;
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
}
