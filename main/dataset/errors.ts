/**
 * The one error type dataset loading and split planning throw for problems the user can fix.
 * Every message says what is wrong, where (file or folder) and how to fix it, so the CLI can
 * print it as its one-line reason and the app can show it without a stack trace.
 */

export type DatasetErrorCode =
  | 'missing-path'
  | 'not-a-folder'
  | 'unreadable-folder'
  | 'no-classes'
  | 'one-class'
  | 'empty-class'
  | 'class-mismatch'
  | 'conflicting-test'
  | 'bad-option'
  | 'too-large'
  | 'bad-split'
  | 'bad-imbalance';

export class DatasetError extends Error {
  override readonly name = 'DatasetError';
  readonly code: DatasetErrorCode;
  /** The file or folder the problem is about, when there is one. */
  readonly path: string | undefined;
  /** What the user can do about it (already part of `message`). */
  readonly hint: string;

  constructor(code: DatasetErrorCode, problem: string, hint: string, path?: string) {
    super(`${problem} ${hint}`.trim());
    this.code = code;
    this.path = path;
    this.hint = hint;
  }
}

export function isDatasetError(error: unknown): error is DatasetError {
  return error instanceof DatasetError;
}
