import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import type { ApiEvent } from '../api/contract';

/** Clients that stop answering pings for this long are dropped, so a closed laptop lid does not leak a socket. */
const HEARTBEAT_MS = 30_000;

/**
 * The /events WebSocket: every ApiEvent goes to every connected client as one JSON text frame.
 * The socket is one-way; messages from clients are ignored. Authentication happens before the
 * upgrade (see server.ts), so only token holders ever get here.
 */
export class EventHub {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  private readonly alive = new WeakSet<WebSocket>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor() {
    this.wss.on('connection', (socket) => {
      this.alive.add(socket);
      socket.on('pong', () => this.alive.add(socket));
      socket.on('message', () => undefined);
      socket.on('error', () => socket.terminate());
    });
    this.heartbeat = setInterval(() => {
      for (const socket of this.wss.clients) {
        if (!this.alive.has(socket)) {
          socket.terminate();
          continue;
        }
        this.alive.delete(socket);
        socket.ping();
      }
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(request, socket, head, (ws) => this.wss.emit('connection', ws, request));
  }

  broadcast = (event: ApiEvent): void => {
    const text = JSON.stringify(event);
    for (const socket of this.wss.clients) if (socket.readyState === WebSocket.OPEN) socket.send(text);
  };

  get clientCount(): number {
    return this.wss.clients.size;
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const socket of this.wss.clients) socket.terminate();
    this.wss.close();
  }
}
