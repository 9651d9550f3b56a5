// An HTTP proxy in front of the S3-API server of a test: it notes every request (method, URL, headers) so a test can
// assert on what fumidai sent, and can be stopped and started again on the same port to stage a bucket outage. It
// also answers a conditional PUT (`If-None-Match: *`) on a key that exists with 412, as S3 does and s3rver does not.
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

export class S3Proxy {
  readonly requests: SeenRequest[] = [];
  /** Conditional PUTs refused because their key was taken. */
  preconditionFailed = 0;
  #server: Server | undefined;

  constructor(
    readonly port: number,
    readonly target: number,
  ) {}

  start(): Promise<void> {
    this.#server = createServer(async (req, res) => {
      this.requests.push({ method: req.method!, url: req.url!, headers: req.headers });
      if (req.method === 'PUT' && req.headers['if-none-match'] === '*' && (await this.#exists(req.url!.split('?')[0]!))) {
        this.preconditionFailed++;
        req.resume();
        res.writeHead(412, { 'content-type': 'application/xml' });
        return res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message><Condition>If-None-Match</Condition></Error>');
      }
      const up = request({ host: '127.0.0.1', port: this.target, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode!, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    return new Promise((resolve) => this.#server!.listen(this.port, '127.0.0.1', resolve));
  }

  /** Whether s3rver has an object at this path (s3rver takes unsigned requests). */
  #exists(path: string): Promise<boolean> {
    return new Promise((resolve) => {
      const head = request({ host: '127.0.0.1', port: this.target, path, method: 'HEAD' }, (r) => {
        r.resume();
        resolve(r.statusCode === 200);
      });
      head.on('error', () => resolve(false));
      head.end();
    });
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
