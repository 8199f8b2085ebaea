import type { ApiEvent, ApiEvents, EventName } from '../api/contract';

/** Receives every event the services push (the IPC bridge or the WebSocket hub forwards them). */
export type Emit = (event: ApiEvent) => void;

/** Builds a well-typed event; `{ type, data }` pairs are checked against ApiEvents here once. */
export function apiEvent<E extends EventName>(type: E, data: ApiEvents[E]): ApiEvent {
  return { type, data } as ApiEvent;
}

/** Turns an absolute image path into a URL the renderer can put in <img src> (differs per mode). */
export type ImageUrl = (absolutePath: string) => string;
