// A tiny HTTP server on 127.0.0.1:0 that records exactly what it received (method, request target,
// raw headers in order, body) and answers as each test scripts it. Reusable by any test.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  /** Request target as received, e.g. `/scim/v2/Users?x=1`. */
  url: string;
  /** `req.rawHeaders` as pairs, in the order received. */
  headers: Array<[string, string]>;
  body: string;
  /** Index of this request among all the server received (0-based). */
  index: number;
}

/** Answers one request. Use the helpers below or write to `res` directly. */
export type Handler = (req: Received, res: http.ServerResponse, raw: http.IncomingMessage) => void | Promise<void>;
/** A handler that has answered when it returns (the helpers below). */
export type SyncHandler = (req: Received, res: http.ServerResponse, raw: http.IncomingMessage) => void;

export interface EchoServer {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  port: number;
  received: Received[];
  /** Handlers used in order, one per request; when empty, the default handler answers. */
  queue(...handlers: Handler[]): void;
  /** Replaces the default handler (initially `json(200, echo of the request)`). */
  setDefault(handler: Handler): void;
  /** Header value (first, case-insensitive) of a received request. */
  header(r: Received, name: string): string | undefined;
  close(): Promise<void>;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}, contentType = 'application/scim+json'): SyncHandler {
  return (_req, res) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
  };
}

export function text(status: number, body: string, headers: Record<string, string> = {}): SyncHandler {
  return (_req, res) => {
    res.writeHead(status, { 'Content-Type': 'text/plain', ...headers });
    res.end(body);
  };
}

export function redirect(status: number, location: string): SyncHandler {
  return (_req, res) => {
    res.writeHead(status, { Location: location, 'Content-Length': 0 });
    res.end();
  };
}

/** Drops the connection without answering (the client sees a reset / closed socket). */
export const reset: Handler = (_req, _res, raw) => {
  raw.socket.destroy();
};

/** Never answers (until the server closes). */
export const hang: Handler = () => {
  /* no answer */
};

export const echo: Handler = (req, res) => {
  json(200, { schemas: ['urn:scimx:test:Echo'], method: req.method, url: req.url, body: req.body })(req, res, undefined as never);
};

export async function startEchoServer(defaultHandler: Handler = echo): Promise<EchoServer> {
  const received: Received[] = [];
  const queued: Handler[] = [];
  let fallback = defaultHandler;
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const pairs: Array<[string, string]> = [];
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) pairs.push([req.rawHeaders[i] ?? '', req.rawHeaders[i + 1] ?? '']);
      const r: Received = { method: req.method ?? '', url: req.url ?? '', headers: pairs, body: Buffer.concat(chunks).toString('utf8'), index: received.length };
      received.push(r);
      const h = queued.shift() ?? fallback;
      Promise.resolve(h(r, res, req)).catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(500);
        res.end(String(e));
      });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    received,
    queue: (...h) => queued.push(...h),
    setDefault: (h) => {
      fallback = h;
    },
    header: (r, name) => r.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
