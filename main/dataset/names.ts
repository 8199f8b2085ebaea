/** Rules about file and folder names, shared by the scanner and the split planner. */

/**
 * Orders strings by Unicode code point. `Array.prototype.sort` without a comparator compares
 * UTF-16 code units, which puts astral characters (emoji, rare CJK) before U+E000–U+FFFF;
 * `localeCompare` depends on the user's locale. Class order must be the same on every machine
 * (it fixes class indices, and so results), hence this comparator.
 */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const ca = ia.next();
    const cb = ib.next();
    if (ca.done || cb.done) {
      if (ca.done && cb.done) return 0;
      return ca.done ? -1 : 1;
    }
    const da = ca.value.codePointAt(0) as number;
    const db = cb.value.codePointAt(0) as number;
    if (da !== db) return da - db;
  }
}

/** Operating-system clutter that is never a class or an image and is ignored without a note. */
const CLUTTER = new Set(['thumbs.db', 'desktop.ini', '__macosx', '$recycle.bin', 'system volume information']);

/** Hidden files and folders (dot-files such as .DS_Store, ._foo.jpg, .git) and OS clutter. */
export function isIgnoredName(name: string): boolean {
  return name.startsWith('.') || CLUTTER.has(name.toLowerCase()) || name.startsWith('Icon\r');
}

/**
 * Why a folder name cannot be a class name, or undefined when it can. Control characters
 * break terminals, CSV consumers and the UI; a backslash is a path separator on Windows,
 * so results naming such a class could not be opened there.
 */
export function classNameProblem(name: string): string | undefined {
  if (/[\u0000-\u001f\u007f]/u.test(name)) {
    return 'class folder name contains a control character (such as a newline or tab); rename the folder';
  }
  if (name.includes('\\')) {
    return 'class folder name contains a backslash, a path separator on Windows; rename the folder';
  }
  return undefined;
}

/** Split folder names recognised at the top of a dataset (compared case-insensitively). */
export function splitOfFolder(name: string): 'train' | 'val' | 'test' | undefined {
  const lower = name.toLowerCase();
  if (lower === 'train' || lower === 'training') return 'train';
  if (lower === 'val' || lower === 'valid' || lower === 'validation') return 'val';
  if (lower === 'test' || lower === 'testing') return 'test';
  return undefined;
}

/** Printable form of a name for messages: control characters shown as escapes. */
export function printable(name: string): string {
  return JSON.stringify(name).slice(1, -1);
}
