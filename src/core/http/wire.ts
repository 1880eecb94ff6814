// The wire trace: what undici really wrote to the socket and read from it, from its diagnostics channels.
//
// Channels are process-wide (in an extension host other extensions and Node's fetch use undici too), so each
// event must be matched to our own request. Correlation, verified by experiment (test/integration/pipeline.test.ts
// "concurrent requests on one connection"): `undici:request:create` is published synchronously inside
// `dispatcher.dispatch()`, so the AsyncLocalStorage store set around our dispatch is visible there, and we tie
// the undici request object to our attempt in a WeakMap. The later events (`client:sendHeaders`,
// `request:headers`, `request:trailers`, `request:error`) are looked up by that request object only: they
// can run in ANOTHER async context (a request queued behind another on the same connection is written from
// the previous request's socket callback, whose AsyncLocalStorage store is the previous request's).
import { AsyncLocalStorage } from 'node:async_hooks';
import diagnosticsChannel from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import type { HeaderList } from '../trace';

/** One wire attempt: one undici request. Filled by the channel listeners below. */
export class WireRecord {
  claimed = false;
  /** Request head exactly as written (request line + headers, without the blank line). */
  head?: string;
  line?: string;
  headers?: HeaderList;
  sentAt?: number;
  status?: number;
  statusText?: string;
  responseHeaders?: HeaderList;
  headersAt?: number;
  endAt?: number;
  trailers?: HeaderList;
  error?: Error;
  /** Bytes the socket read while this request was on it (response head + body, framing included). */
  bytesRead?: number;
  private socket?: Socket;
  private readStart = 0;

  onSendHeaders(head: string, socket: Socket | undefined): void {
    this.head = head;
    this.sentAt = Date.now();
    const parsed = parseRequestHead(head);
    this.line = parsed.line;
    this.headers = parsed.headers;
    if (socket && typeof socket.bytesRead === 'number') {
      this.socket = socket;
      this.readStart = socket.bytesRead;
    }
  }

  onResponseHeaders(status: number, statusText: string | undefined, raw: unknown): void {
    // 1xx interim answers (100 Continue) are followed by the final one: keep the last.
    this.status = status;
    this.statusText = statusText ?? '';
    this.responseHeaders = rawToList(raw);
    this.headersAt = Date.now();
  }

  onTrailers(raw: unknown): void {
    this.endAt = Date.now();
    const t = rawToList(raw);
    if (t.length) this.trailers = t;
    this.captureBytes();
  }

  onError(err: Error): void {
    this.error = err;
    this.endAt = Date.now();
    this.captureBytes();
  }

  private captureBytes(): void {
    if (this.socket && typeof this.socket.bytesRead === 'number') {
      const d = this.socket.bytesRead - this.readStart;
      if (d >= 0) this.bytesRead = d;
    }
    this.socket = undefined;
  }
}

/** `GET /x HTTP/1.1\r\nhost: a\r\n…` -> request line and headers in wire order. */
export function parseRequestHead(head: string): { line: string; headers: HeaderList } {
  const lines = head.split('\r\n').filter((l) => l.length > 0);
  const line = lines.shift() ?? '';
  const headers: HeaderList = [];
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i <= 0) continue;
    headers.push([l.slice(0, i), l.slice(i + 1).replace(/^[ \t]+/, '')]);
  }
  return { line, headers };
}

function rawToList(raw: unknown): HeaderList {
  const out: HeaderList = [];
  if (!Array.isArray(raw)) return out;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const n: unknown = raw[i];
    const v: unknown = raw[i + 1];
    const name = Buffer.isBuffer(n) ? n.toString('latin1') : String(n);
    const values = Array.isArray(v) ? v : [v];
    for (const one of values) out.push([name, Buffer.isBuffer(one) ? one.toString('latin1') : String(one)]);
  }
  return out;
}

const store = new AsyncLocalStorage<WireRecord>();
const byRequest = new WeakMap<object, WireRecord>();
let subscribed = false;

interface RequestLike { method?: string }

function subscribeOnce(): void {
  if (subscribed) return;
  subscribed = true;
  diagnosticsChannel.subscribe('undici:request:create', (msg) => {
    const { request } = msg as { request: RequestLike & object };
    const rec = store.getStore();
    // One attempt is one undici request; a proxy's CONNECT is not ours to trace as an exchange.
    if (!rec || rec.claimed || request.method === 'CONNECT') return;
    rec.claimed = true;
    byRequest.set(request, rec);
  });
  diagnosticsChannel.subscribe('undici:client:sendHeaders', (msg) => {
    const { request, headers, socket } = msg as { request: object; headers: string; socket?: Socket };
    byRequest.get(request)?.onSendHeaders(headers, socket);
  });
  diagnosticsChannel.subscribe('undici:request:headers', (msg) => {
    const { request, response } = msg as { request: object; response: { statusCode: number; statusText?: string; headers: unknown } };
    byRequest.get(request)?.onResponseHeaders(response.statusCode, response.statusText, response.headers);
  });
  diagnosticsChannel.subscribe('undici:request:trailers', (msg) => {
    const { request, trailers } = msg as { request: object; trailers: unknown };
    byRequest.get(request)?.onTrailers(trailers);
  });
  diagnosticsChannel.subscribe('undici:request:error', (msg) => {
    const { request, error } = msg as { request: object; error: Error };
    byRequest.get(request)?.onError(error);
  });
}

/** Runs `dispatch` (which must create exactly one undici request synchronously) with `rec` as its recorder. */
export function recordAttempt<T>(rec: WireRecord, dispatch: () => T): T {
  subscribeOnce();
  return store.run(rec, dispatch);
}
