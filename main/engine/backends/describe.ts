/** Small helpers both backend modules use to describe what they loaded or why it failed. */

/** Version of an installed package, or 'unknown'; a computed require keeps optional packages out of bundlers. */
export function packageVersion(pkg: string): string {
  try {
    const load: (id: string) => unknown = require;
    return (load(`${pkg}/package.json`) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** The first line of an error's message, for one-line notes. */
export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? message;
}
