// Raw TCP clients for flooding the front door: sockets that connect and then say nothing (or only a version line),
// opened in batches, each remembering when it connected and when the server closed it.
import { connect, type Socket } from 'node:net';

export interface RawClient {
  socket: Socket;
  from: string;
  connectedAt?: number;
  closedAt?: number;
}

/**
 * Opens `n` connections to 127.0.0.1:`port`, spread over the `from` addresses, `batch` at a time (each batch waits
 * until its sockets connected, failed or 5 s passed). `say`: written once connected (nothing: a silent client).
 */
export async function openRawClients(port: number, n: number, from: string[], opts: { batch?: number; say?: string } = {}): Promise<RawClient[]> {
  const clients: RawClient[] = [];
  const batch = opts.batch ?? 200;
  for (let i = 0; i < n; i += batch) {
    const opened = Array.from({ length: Math.min(batch, n - i) }, (_, j) => {
      const c: RawClient = { socket: connect({ port, host: '127.0.0.1', localAddress: from[(i + j) % from.length] }), from: from[(i + j) % from.length]! };
      clients.push(c);
      c.socket.on('error', () => undefined);
      c.socket.on('data', () => undefined);
      c.socket.on('close', () => (c.closedAt = Date.now()));
      return new Promise<void>((resolve) => {
        const done = setTimeout(resolve, 5000);
        c.socket.once('connect', () => {
          c.connectedAt = Date.now();
          if (opts.say) c.socket.write(opts.say);
          clearTimeout(done);
          resolve();
        });
        c.socket.once('close', () => {
          clearTimeout(done);
          resolve();
        });
      });
    });
    await Promise.all(opened);
  }
  return clients;
}

/** Waits until every client is closed or `timeoutMs` passed; returns how many are still open. */
export async function waitClosed(clients: RawClient[], timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = clients.filter((c) => c.closedAt === undefined).length;
    if (open === 0 || Date.now() > deadline) return open;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function destroyAll(clients: RawClient[]): void {
  for (const c of clients) c.socket.destroy();
}
