import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, ConnectionError } from './errors';
import { HttpTransport, tokenFromPageUrl } from './http-transport';
import type { ApiEvent } from './types';

function respond(status: number, body: unknown, statusText = ''): Response {
  return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, statusText, headers: { 'content-type': 'application/json' } });
}

/** A WebSocket stand-in the test drives by hand. */
class FakeSocket {
  static instances: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((message: { data: string }) => void) | null = null;
  onclose: (() => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeSocket.instances.push(this);
  }
  close() {
    this.closed = true;
  }
}

function transport(fetchImpl: typeof fetch) {
  return new HttpTransport({
    baseUrl: 'http://127.0.0.1:8642/',
    token: 'secret token',
    fetch: fetchImpl,
    WebSocket: FakeSocket as unknown as typeof WebSocket,
    reconnectDelayMs: 10,
  });
}

afterEach(() => {
  FakeSocket.instances = [];
  vi.useRealTimers();
});

describe('HttpTransport calls', () => {
  it('POSTs JSON to /api/<channel> with the token in the URL and returns the body', async () => {
    const fetchImpl = vi.fn(async () => respond(200, { path: '/data/digits' }));
    const answer = await transport(fetchImpl as unknown as typeof fetch).call('dataset.samplePath', {});
    expect(answer).toEqual({ path: '/data/digits' });
    const [url, init] = fetchImpl.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('http://127.0.0.1:8642/api/dataset.samplePath?token=secret+token');
    expect(init.method).toBe('POST');
    expect(init.body).toBe('{}');
    expect((init.headers as Record<string, string>)['content-type']).toBe('application/json');
  });

  it("rebuilds the server's { error: { name, message } } as an Error with that name and message", async () => {
    const fetchImpl = async () => respond(422, { error: { name: 'DatasetError', message: 'The folder /x holds no class folders.' } });
    const failure = await transport(fetchImpl as typeof fetch).call('dataset.open', { path: '/x' }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Error);
    expect(failure).toBeInstanceOf(ApiError);
    expect((failure as ApiError).name).toBe('DatasetError');
    expect((failure as ApiError).message).toBe('The folder /x holds no class folders.');
    expect((failure as ApiError).status).toBe(422);
    expect((failure as ApiError).channel).toBe('dataset.open');
  });

  it('marks a refused token so the UI can say to open the printed URL', async () => {
    const fetchImpl = async () => respond(401, { error: { name: 'Unauthorized', message: 'A valid access token is required.' } });
    const failure = (await transport(fetchImpl as typeof fetch).call('app.info', {}).catch((e: unknown) => e)) as ApiError;
    expect(failure.name).toBe('AccessDenied');
    expect(failure.message).toBe('A valid access token is required.');
  });

  it('turns a network failure into a ConnectionError', async () => {
    const fetchImpl = async () => {
      throw new TypeError('Failed to fetch');
    };
    const failure = await transport(fetchImpl as typeof fetch).call('app.info', {}).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ConnectionError);
    expect((failure as Error).name).toBe('ConnectionError');
  });

  it('keeps the text of a non-JSON error page', async () => {
    const fetchImpl = async () => new Response('Bad Gateway', { status: 502 });
    const failure = (await transport(fetchImpl as typeof fetch).call('app.info', {}).catch((e: unknown) => e)) as ApiError;
    expect(failure.message).toBe('Bad Gateway');
    expect(failure.status).toBe(502);
  });
});

describe('HttpTransport events', () => {
  it('opens /events with the token, delivers parsed events and drops malformed frames', () => {
    const t = transport((async () => respond(200, {})) as unknown as typeof fetch);
    const received: ApiEvent[] = [];
    t.subscribe((event) => received.push(event));
    const socket = FakeSocket.instances[0]!;
    expect(socket.url).toBe('ws://127.0.0.1:8642/events?token=secret+token');
    socket.onopen?.();
    socket.onmessage?.({ data: JSON.stringify({ type: 'experiment.runStart', data: { id: 'e1', index: 0, runId: 'ce#seed1' } }) });
    socket.onmessage?.({ data: 'not json' });
    expect(received).toEqual([{ type: 'experiment.runStart', data: { id: 'e1', index: 0, runId: 'ce#seed1' } }]);
  });

  it('reconnects after the socket drops and reports the connection state', async () => {
    vi.useFakeTimers();
    const t = transport((async () => respond(200, {})) as unknown as typeof fetch);
    const states: string[] = [];
    t.onConnectionChange((state) => states.push(state));
    t.subscribe(() => {});
    FakeSocket.instances[0]!.onopen?.();
    FakeSocket.instances[0]!.onclose?.();
    expect(states.at(-1)).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(20);
    expect(FakeSocket.instances).toHaveLength(2);
    FakeSocket.instances[1]!.onopen?.();
    expect(states).toEqual(['closed', 'connecting', 'open', 'reconnecting', 'reconnecting', 'open']);
  });
});

describe('tokenFromPageUrl', () => {
  it('reads ?token= from the page address', () => {
    expect(tokenFromPageUrl('http://127.0.0.1:8642/?token=abc_-123')).toBe('abc_-123');
    expect(tokenFromPageUrl('http://127.0.0.1:8642/')).toBeNull();
  });
});

describe('HttpTransport uploads', () => {
  it('POSTs one file to /upload with the workspace, its path and the token, and returns what was stored', async () => {
    const stored = { workspace: 'pets', folder: '/srv/losslab-uploads/pets', stored: ['cats/1 a.png'], skipped: [], workspaceBytes: 3 };
    const fetchImpl = vi.fn(async () => respond(201, stored));
    const body = new Blob([new Uint8Array([1, 2, 3])]);
    expect(await transport(fetchImpl as unknown as typeof fetch).uploadFile('pets', 'cats/1 a.png', body)).toEqual(stored);
    const [url, init] = fetchImpl.mock.calls[0] as unknown as [string, RequestInit];
    const parsed = new URL(url);
    expect(parsed.pathname).toBe('/upload');
    expect([parsed.searchParams.get('workspace'), parsed.searchParams.get('path'), parsed.searchParams.get('token')]).toEqual(['pets', 'cats/1 a.png', 'secret token']);
    expect(init.method).toBe('POST');
    expect(init.body).toBe(body);
  });

  it('turns a refusal into an error carrying the server\'s name and message', async () => {
    const fetchImpl = vi.fn(async () => respond(413, { error: { name: 'TooLarge', message: 'Workspace pets would grow past its 2.0 GiB limit' } }));
    const failure = await transport(fetchImpl as unknown as typeof fetch).uploadFile('pets', 'a.png', new Blob([])).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApiError);
    expect(failure).toMatchObject({ name: 'TooLarge', message: 'Workspace pets would grow past its 2.0 GiB limit', status: 413 });
  });
});
