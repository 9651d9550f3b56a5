// ws ships no types (and @types/ws is not a dependency); tests and benchmarks use only its client side, as here.
declare module 'ws' {
  export default class WebSocket {
    constructor(url: string, protocols?: string[], options?: { ca?: Buffer; headers?: Record<string, string>; rejectUnauthorized?: boolean; maxPayload?: number });
    readonly protocol: string;
    readonly readyState: number;
    binaryType: string;
    on(event: 'message', cb: (data: Buffer, isBinary: boolean) => void): this;
    on(event: 'open', cb: () => void): this;
    on(event: 'close', cb: (code: number, reason: Buffer) => void): this;
    on(event: 'error', cb: (err: Error) => void): this;
    on(event: 'unexpected-response', cb: (req: unknown, res: { statusCode: number }) => void): this;
    send(data: string): void;
    close(): void;
    terminate(): void;
  }
}
