/**
 * Names for files a browser uploads into a workspace. The browser is not trusted: every name is
 * rebuilt from its segments, so what reaches the disk is always a plain relative path below the
 * workspace, portable to Windows and macOS, with no hidden files and no way up.
 */

/** Image extensions LossLab reads (main/dataset/sniff.ts); the bytes are sniffed as well. */
export const IMAGE_EXTENSIONS = new Set(['jpg', 'jpeg', 'jpe', 'jfif', 'png', 'webp', 'gif', 'tif', 'tiff', 'avif']);

/** Folders deeper than this are not a dataset layout (train/class/image is three). */
export const MAX_DEPTH = 8;
/** Bytes per segment: most file systems stop at 255; room is left for the temporary suffix. */
export const MAX_SEGMENT_BYTES = 200;

export class UploadNameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UploadNameError';
  }
}

/** Characters that are path separators or reserved on Windows, replaced rather than refused. */
const RESERVED = /[<>:"|?*]/gu;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/gu;
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$/iu;

function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Shortens a name to `MAX_SEGMENT_BYTES`, whole characters only, keeping its extension. */
function shorten(name: string): string {
  if (utf8Length(name) <= MAX_SEGMENT_BYTES) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && name.length - dot <= 10 ? name.slice(dot) : '';
  let stem = '';
  for (const character of name.slice(0, name.length - extension.length)) {
    if (utf8Length(stem + character + extension) > MAX_SEGMENT_BYTES) break;
    stem += character;
  }
  return stem + extension;
}

/**
 * One folder or file name made safe, or an error saying why it cannot be. Unicode is kept
 * (NFC, so the same name typed on macOS and Linux is one name); control characters are
 * dropped; reserved characters become "_"; trailing dots and spaces (which Windows strips)
 * go; `.`/`..` and hidden names (leading dot) are refused.
 */
export function sanitiseSegment(raw: string): string {
  let name = raw.normalize('NFC').replace(CONTROL, '').replace(RESERVED, '_').trim().replace(/[. ]+$/u, '');
  if (raw === '..' || raw === '.') throw new UploadNameError(`"${raw}" is not allowed in an upload path: files stay inside their workspace.`);
  if (name.startsWith('.')) throw new UploadNameError(`"${JSON.stringify(raw).slice(1, -1)}" is a hidden name (it starts with a dot); hidden files are not uploaded.`);
  if (name === '') throw new UploadNameError(`"${JSON.stringify(raw).slice(1, -1)}" has no usable characters for a file or folder name.`);
  if (WINDOWS_DEVICE.test(name)) name = `_${name}`;
  return shorten(name);
}

/**
 * A relative path from the browser (a folder picker's webkitRelativePath, a dropped entry's
 * fullPath, a zip entry) as safe segments. Absolute paths and `..` are refused outright rather
 * than repaired, since they show the client is not what it claims; empty and `.` segments
 * (`a//b`, `a/./b`) are dropped.
 */
export function sanitiseRelativePath(raw: string): string[] {
  if (raw.length === 0 || raw.length > 4096) throw new UploadNameError('Give the file\'s path inside the upload (1 to 4096 characters).');
  if (/^[/\\]/u.test(raw) || /^[a-zA-Z]:/u.test(raw)) throw new UploadNameError(`${JSON.stringify(raw)} is an absolute path; upload paths are relative to the workspace.`);
  const parts = raw.split(/[/\\]/u).filter((part) => part !== '' && part !== '.');
  if (parts.some((part) => part === '..')) throw new UploadNameError(`${JSON.stringify(raw)} leads out of the workspace ("..").`);
  if (parts.length === 0) throw new UploadNameError(`${JSON.stringify(raw)} names no file.`);
  if (parts.length > MAX_DEPTH) throw new UploadNameError(`${JSON.stringify(raw)} is nested more than ${MAX_DEPTH} folders deep.`);
  return parts.map(sanitiseSegment);
}

/** The lower-case extension of a file name, without the dot ('' when none). */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

export function isImageName(name: string): boolean {
  return IMAGE_EXTENSIONS.has(extensionOf(name));
}

/** A workspace is one folder name below <root>/losslab-uploads. */
export function sanitiseWorkspace(raw: string): string {
  if (/[/\\]/u.test(raw)) throw new UploadNameError('A workspace name is one folder name, without "/" or "\\".');
  return sanitiseSegment(raw);
}
