/** Turns file-system errors into the short, actionable reasons listed in a dataset's `skipped`. */

function codeOf(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

export function fsReason(error: unknown, what: 'file' | 'folder'): string {
  switch (codeOf(error)) {
    case 'EACCES':
    case 'EPERM':
      return `${what} not readable (permission denied); give your user read access to it`;
    case 'ELOOP':
      return 'symbolic link loop (the link points back to itself or to a folder that contains it)';
    case 'ENOENT':
      return `broken symbolic link or ${what} removed while scanning`;
    case 'ENAMETOOLONG':
      return 'path too long for the file system; move the dataset to a shorter path or shorten folder names';
    case 'EISDIR':
      return 'is a folder, not a file';
    case 'EIO':
      return `${what} could not be read (I/O error; the disk or network share may be failing)`;
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files; close other programs or lower the decode concurrency';
    default: {
      const message = error instanceof Error ? error.message : String(error);
      return `${what} could not be read (${message})`;
    }
  }
}

/** Permission problems depend on who runs LossLab, not on the file's bytes, so they are never cached. */
export function isTransientFsError(error: unknown): boolean {
  const code = codeOf(error);
  return code === 'EACCES' || code === 'EPERM' || code === 'EMFILE' || code === 'ENFILE' || code === 'EIO' || code === 'ENOENT';
}
