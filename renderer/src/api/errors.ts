/**
 * Errors cross the process or network boundary as plain data; here they become Error
 * objects again, keeping the main side's message (which says what went wrong in the user's
 * terms) and its name (which the UI uses to pick advice).
 */
export class ApiError extends Error {
  constructor(
    message: string,
    name: string,
    /** The API channel that failed, for the error panel and bug reports. */
    readonly channel: string | null,
    /** HTTP status in served mode; null on the desktop. */
    readonly status: number | null = null,
  ) {
    super(message);
    this.name = name;
  }
}

/** The server or main process could not be reached at all (as opposed to refusing a request). */
export class ConnectionError extends ApiError {
  constructor(message: string, channel: string | null) {
    super(message, 'ConnectionError', channel, null);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Turns whatever arrived as an error (serialized object, Error, string) into an ApiError. */
export function rebuildError(raw: unknown, channel: string | null, status: number | null = null): ApiError {
  if (raw instanceof ApiError) return raw;
  if (isRecord(raw) && isRecord(raw['error'])) return rebuildError(raw['error'], channel, status);
  if (isRecord(raw) && typeof raw['message'] === 'string') {
    const name = typeof raw['name'] === 'string' && raw['name'] ? raw['name'] : 'Error';
    return new ApiError(stripIpcPrefix(raw['message']), name, channel, status);
  }
  if (typeof raw === 'string' && raw.trim()) return new ApiError(stripIpcPrefix(raw), 'Error', channel, status);
  const where = channel ? ` (${channel})` : '';
  return new ApiError(`The request failed without an explanation${where}.`, 'Error', channel, status);
}

/**
 * Electron's ipcRenderer.invoke wraps a rejected handler's message as
 * "Error invoking remote method 'x': Error: <message>"; the user needs only <message>.
 */
export function stripIpcPrefix(message: string): string {
  const match = /^Error invoking remote method '[^']*': (?:[A-Za-z]*Error: )?([\s\S]*)$/.exec(message);
  return match ? match[1]! : message;
}
