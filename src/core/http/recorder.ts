// The exchange recorder: each wire attempt becomes an Exchange, filled from what undici wrote and read
// (./wire.ts), masked (./mask.ts) before anything is stored. It writes to a TraceSink: the pipeline needs
// these few methods of the trace, not the Trace class (../trace.ts implements them).
import type { ScimxError } from '../errors';
import type { GatewayConfig } from '../profile';
import type { Exchange, ExchangeResponse, HeaderList, Operation } from '../trace';
import { keyPlacementOnWire } from './gateway-key';
import type { Masker } from './mask';
import type { WhoAnswered } from './who-answered';

/** What the pipeline writes to: the trace, seen from the pipeline. */
export interface TraceSink {
  /** Most characters of a request or response body kept per exchange. */
  readonly bodyCap: number;
  addExchange(op: Operation, init: Omit<Exchange, 'id' | 'operationId' | 'seq'>): Exchange;
  /** Signals that an exchange changed (sent, answered, failed). */
  touchExchange(ex: Exchange): void;
  /** Keeps the raw value behind a masked request header, for an explicit reveal. */
  setRevealable(exchangeId: string, headerIndex: number, raw: string): void;
  updateOperation(op: Operation, patch: { progress?: string }): void;
}

/** On every https exchange of a profile with `tls.insecure: true`: the trace says the server was not verified. */
export const INSECURE_WARNING = 'TLS verification off (tls.insecure): the server certificate was not checked.';

/** What an attempt is about to send, as the recorder first writes it down (before the socket). */
export interface OpenedRequest {
  operation: Operation;
  method: string;
  url: string;
  /** `/path?query` of `url`. */
  target: string;
  https: boolean;
  headers: HeaderList;
  body?: Buffer;
  start: number;
  init: Pick<Exchange, 'attempt' | 'retryOf' | 'redirectOf' | 'location'> & { warnings: string[]; waited?: number };
}

/** The request as undici wrote it (from the diagnostics channel). */
export interface WrittenRequest {
  line: string;
  headers: HeaderList;
  /** Indexes in `headers` computed from the body, not read from the channel (content-length). */
  computed?: number[];
  sentAt: number;
}

/** The answer as read. */
export interface ReadAnswer {
  status: number;
  statusText: string;
  headers: HeaderList;
  text: string;
  bodySize: number;
  who: WhoAnswered;
  headersAt: number;
}

export class ExchangeRecorder {
  constructor(
    private readonly sink: TraceSink,
    private readonly masker: Masker,
    private readonly gateway: GatewayConfig,
    private readonly tlsInsecure: boolean,
  ) {}

  /** A pending exchange holding what was handed to undici (replaced by what was written once it is known). */
  open(r: OpenedRequest): Exchange {
    const cap = this.sink.bodyCap;
    return this.sink.addExchange(r.operation, {
      state: 'pending',
      request: {
        method: r.method,
        url: this.masker.url(r.url),
        line: this.masker.requestLine(`${r.method} ${r.target} HTTP/1.1`),
        headers: this.masker.headers(r.headers),
        wire: false,
        ...(r.body ? { body: capText(this.masker.text(maskWindow(r.body.toString('utf8'), cap)), cap) } : {}),
        bodySize: r.body?.length ?? 0,
      },
      timings: { start: r.start, ...(r.init.waited !== undefined ? { waited: r.init.waited } : {}) },
      attempt: r.init.attempt,
      ...(r.init.retryOf ? { retryOf: r.init.retryOf } : {}),
      ...(r.init.redirectOf ? { redirectOf: r.init.redirectOf } : {}),
      ...(r.init.location ? { location: r.init.location } : {}),
      keySentAs: keyPlacementOnWire(this.gateway, r.headers, r.target),
      warnings: [...r.init.warnings, ...(r.https && this.tlsInsecure ? [INSECURE_WARNING] : [])].map((w) => this.masker.text(w)),
    });
  }

  /** The request side from what went on the wire; its secret header values are kept for an explicit reveal. */
  written(ex: Exchange, w: WrittenRequest, start: number): void {
    const req = ex.request;
    if (w.computed) req.computedHeaders = w.computed;
    req.line = this.masker.requestLine(w.line);
    req.headers = this.masker.headers(w.headers, (i, raw) => this.sink.setRevealable(ex.id, i, raw));
    req.wire = true;
    ex.keySentAs = keyPlacementOnWire(this.gateway, w.headers, w.line.split(' ')[1] ?? '');
    ex.timings.sent = w.sentAt - start;
  }

  /** Nothing reached the socket: the handed headers' secret values are kept for an explicit reveal. */
  notWritten(ex: Exchange, handed: HeaderList): void {
    this.masker.headers(handed, (i, raw) => this.sink.setRevealable(ex.id, i, raw));
  }

  answered(ex: Exchange, a: ReadAnswer, start: number): void {
    const cap = this.sink.bodyCap;
    const response: ExchangeResponse = {
      status: a.status,
      statusText: this.masker.text(a.statusText),
      headers: this.masker.headers(a.headers),
      bodySize: a.bodySize,
      truncated: a.text.length > cap,
      answeredBy: a.who.by,
      answeredWhy: a.who.why,
    };
    if (a.text.length) response.body = capText(this.masker.text(maskWindow(a.text, cap)), cap);
    ex.response = response;
    ex.timings.headers = a.headersAt - start;
  }

  /** Ends the exchange (done, or failed with `error`) and tells the trace. */
  finish(ex: Exchange, end: number, start: number, error: ScimxError | undefined): void {
    ex.timings.end = end - start;
    if (error) {
      ex.state = 'failed';
      ex.error = { code: error.code, message: error.message };
    } else {
      ex.state = 'done';
    }
    this.sink.touchExchange(ex);
  }

  /** Records an error on an exchange and returns it with exchangeId set (masked message). */
  failOn(ex: Exchange, e: ScimxError): ScimxError {
    const message = this.masker.text(e.message);
    const out = Object.assign(e, { message, exchangeId: ex.id });
    if (out.stack) out.stack = this.masker.text(out.stack);
    ex.error = { code: out.code, message };
    if (ex.state === 'pending') ex.state = 'failed';
    this.sink.touchExchange(ex);
    return out;
  }
}

/** Only the part of a body the trace keeps is masked: the cap plus a margin wide enough that a secret or a
 * `"access_token": "…"` field straddling the cut is still seen whole (a 500 KB page was masked in full
 * before it was cut to 64 K, bench/list.ts). */
const MASK_MARGIN = 16 * 1024;
function maskWindow(text: string, cap: number): string {
  return text.length > cap + MASK_MARGIN ? text.slice(0, cap + MASK_MARGIN) : text;
}

function capText(text: string, cap: number): string {
  if (text.length <= cap) return text;
  // A copy, not a slice: V8's slice of a long string keeps the whole parent alive, so the trace would hold
  // every full body (bench/list.ts measured 51 MB kept for 6 MB of capped bodies). utf16le is lossless.
  return Buffer.from(text.slice(0, cap), 'utf16le').toString('utf16le');
}
