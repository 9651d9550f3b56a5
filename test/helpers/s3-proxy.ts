// An HTTP proxy in front of the S3-API server of a test: it notes every request (method, URL, headers) so a test can
// assert on what fumidai sent, and can be stopped and started again on the same port to stage a bucket outage.
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

export class S3Proxy {
  readonly requests: SeenRequest[] = [];
  #server: Server | undefined;

  constructor(
    readonly port: number,
    readonly target: number,
  ) {}

  start(): Promise<void> {
    this.#server = createServer((req, res) => {
      this.requests.push({ method: req.method!, url: req.url!, headers: req.headers });
      const up = request({ host: '127.0.0.1', port: this.target, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode!, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    return new Promise((resolve) => this.#server!.listen(this.port, '127.0.0.1', resolve));
  }

  /** Drops open connections too: the bucket is gone at once. */
  stop(): Promise<void> {
    const server = this.#server;
    if (!server) return Promise.resolve();
    this.#server = undefined;
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}
