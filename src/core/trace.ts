// The trace: operations (user actions) made of exchanges (one HTTP request/response each).
// Exchanges are filled from undici's diagnostics channels (see ./http/wire.ts), so request headers are
// the ones written to the socket. Everything stored here is already masked: no raw secret ever enters
// the trace. Raw values kept for an explicit "reveal" live in a side table that is never serialized.
import { EventEmitter } from 'node:events';
import type { KeyPlacement } from './profile';

export type HeaderList = Array<[name: string, value: string]>;

/** Who a diagnosis blames; `unknown` when the answer does not say who wrote it. */
export type DiagnosisSource = 'gateway' | 'scim' | 'network' | 'tls' | 'client' | 'location' | 'unknown';

/** What a person reads when something went wrong (or nearly): one line that says what happened and who said
 * it, and the fix. Computed from the trace by ./diagnosis.ts, never from what we meant to send. */
export interface Diagnosis {
  severity: 'error' | 'warning' | 'info';
  source: DiagnosisSource;
  /** Stable identifier, e.g. `gateway.key-missing`, `scim.mutability`, `network.reset`. */
  code: string;
  /** One line, e.g. `gateway rejected PATCH: subscription key missing (sent on GET; not on PATCH)`. */
  summary: string;
  /** What to do about it, one line. */
  fix?: string;
  /** The exchange this diagnosis is about. */
  exchangeId?: string;
}

export interface ExchangeRequest {
  method: string;
  /** Final URL as sent (query secrets masked). */
  url: string;
  /** Request line as written, e.g. `PATCH /scim/Groups/123?x=1 HTTP/1.1` (masked). */
  line: string;
  /** Headers in wire order as written to the socket (masked). `wire` is false when they are what we
   * handed to undici because the socket was never reached (connection refused, cancelled). */
  headers: HeaderList;
  wire: boolean;
  /** Indexes in `headers` of headers undici writes right after the head it publishes (content-length):
   * computed from the body, not read from the diagnostics channel. */
  computedHeaders?: number[];
  body?: string;
  bodySize: number;
}

export interface ExchangeResponse {
  status: number;
  statusText: string;
  headers: HeaderList;
  /** Body text, capped at the trace's body cap. */
  body?: string;
  bodySize: number;
  truncated: boolean;
  /** Who answered: the gateway itself, the SCIM backend behind it, or unknown. */
  answeredBy: 'gateway' | 'backend' | 'unknown';
  /** What `answeredBy` was read from, e.g. `APIM error body {statusCode, message}`, `X-Powered-By: Express`. */
  answeredWhy?: string;
}

export interface ExchangeTimings {
  /** Epoch ms when the pipeline started the request. */
  start: number;
  /** ms from start until the headers were written to the socket. */
  sent?: number;
  /** ms from start until the response headers arrived. */
  headers?: number;
  /** ms from start until the body was read (or the request failed). */
  end?: number;
  /** ms waited before this attempt (backoff / Retry-After). */
  waited?: number;
}

export interface LocationRewrite {
  policy: 'rewrite' | 'follow';
  from: string;
  to: string;
  /** True when credentials were withheld because the target was another origin (`follow`). */
  credentialsWithheld: boolean;
}

export interface Exchange {
  id: string;
  operationId: string;
  /** 1-based position in its operation. */
  seq: number;
  state: 'pending' | 'done' | 'failed';
  request: ExchangeRequest;
  response?: ExchangeResponse;
  timings: ExchangeTimings;
  /** 1 for the first try; >1 for retries of the same logical request. */
  attempt: number;
  /** Id of the exchange this one retries, or follows as a redirect. */
  retryOf?: string;
  redirectOf?: string;
  location?: LocationRewrite;
  /** Where the gateway key went on this exchange (from what was written, not what was meant): the profile's
   * `gateway.sendAs` as it came out on the wire, or `none`. */
  keySentAs: KeyPlacement | 'none';
  warnings: string[];
  error?: { code: string; message: string };
  diagnosis?: Diagnosis;
  /** An answer the operation expected although it is not 2xx (a probe's 404 on a group that does not exist, a
   * discovery document the service does not offer): why it is fine. Views show it as information, not as an
   * error. */
  expected?: string;
  /** The request and response bodies were dropped to keep the trace within its body budget (oldest first);
   * the line, headers, status and timings are kept. */
  bodiesDropped?: true;
}

export type OperationState = 'running' | 'ok' | 'failed' | 'cancelled';

export interface Operation {
  id: string;
  title: string;
  profile: string;
  state: OperationState;
  startedAt: number;
  endedAt?: number;
  exchanges: Exchange[];
  /** Outcome in one line, e.g. `added 3, already present 1`. */
  summary?: string;
  diagnosis?: Diagnosis;
  /** Progress of a long operation, e.g. "waiting 26 s (429)". */
  progress?: string;
}

export type TraceEvent =
  | { type: 'operation'; operation: Operation }
  | { type: 'exchange'; operation: Operation; exchange: Exchange }
  | { type: 'dropped'; operationIds: string[] }
  | { type: 'cleared' };

export interface TraceOptions {
  /** Most exchanges kept in memory; the oldest finished operations are dropped first. */
  maxExchanges?: number;
  /** Most characters of a request or response body kept per exchange. */
  bodyCap?: number;
  /** Most characters of bodies kept in all (default 32 Mi): past it the oldest exchanges' bodies are dropped,
   * their heads kept. Without it 10,000 list pages capped at 64 K would hold about 650 MB (bench/panel.ts). */
  maxBodyChars?: number;
}

let counter = 0;
function newId(prefix: string): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter.toString(36)}`;
}

export class Trace {
  readonly maxExchanges: number;
  readonly bodyCap: number;
  readonly maxBodyChars: number;
  /** Characters of bodies held now, and per exchange (the last count), oldest exchange first. */
  private bodyChars = 0;
  private readonly bodies = new Map<Exchange, number>();
  private readonly ops = new Map<string, Operation>();
  private exchangeCount = 0;
  private readonly emitter = new EventEmitter();
  /** exchangeId -> header index -> raw value, for an explicit reveal. Never serialized. */
  private readonly revealable = new Map<string, Map<number, string>>();

  constructor(options: TraceOptions = {}) {
    this.maxExchanges = options.maxExchanges ?? 10_000;
    this.bodyCap = options.bodyCap ?? 64 * 1024;
    this.maxBodyChars = options.maxBodyChars ?? 32 * 1024 * 1024;
    this.emitter.setMaxListeners(50);
  }

  onEvent(listener: (e: TraceEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  operations(): Operation[] {
    return [...this.ops.values()];
  }

  operation(id: string): Operation | undefined {
    return this.ops.get(id);
  }

  findExchange(id: string): Exchange | undefined {
    for (const op of this.ops.values()) {
      const ex = op.exchanges.find((e) => e.id === id);
      if (ex) return ex;
    }
    return undefined;
  }

  startOperation(title: string, profile: string): Operation {
    const op: Operation = { id: newId('op'), title, profile, state: 'running', startedAt: Date.now(), exchanges: [] };
    this.ops.set(op.id, op);
    this.emit({ type: 'operation', operation: op });
    return op;
  }

  updateOperation(op: Operation, patch: Partial<Pick<Operation, 'summary' | 'diagnosis' | 'progress' | 'title'>>): void {
    Object.assign(op, patch);
    this.emit({ type: 'operation', operation: op });
  }

  endOperation(op: Operation, state: Exclude<OperationState, 'running'>, patch: Partial<Pick<Operation, 'summary' | 'diagnosis'>> = {}): void {
    Object.assign(op, patch, { state, endedAt: Date.now(), progress: undefined });
    this.emit({ type: 'operation', operation: op });
    this.enforceCap();
  }

  /** Adds an exchange to an operation; the pipeline fills it as the request goes. */
  addExchange(op: Operation, init: Omit<Exchange, 'id' | 'operationId' | 'seq'>): Exchange {
    const ex: Exchange = { ...init, id: newId('ex'), operationId: op.id, seq: op.exchanges.length + 1 };
    op.exchanges.push(ex);
    this.exchangeCount += 1;
    this.countBodies(ex);
    this.emit({ type: 'exchange', operation: op, exchange: ex });
    this.enforceCap();
    return ex;
  }

  /** Signals that an exchange changed (sent, answered, failed). */
  touchExchange(ex: Exchange): void {
    const op = this.ops.get(ex.operationId);
    if (!op) return;
    this.countBodies(ex);
    this.emit({ type: 'exchange', operation: op, exchange: ex });
  }

  /** Characters of bodies the trace holds now (at most `maxBodyChars` once an exchange is added or touched). */
  get bodySize(): number {
    return this.bodyChars;
  }

  setRevealable(exchangeId: string, headerIndex: number, raw: string): void {
    let m = this.revealable.get(exchangeId);
    if (!m) this.revealable.set(exchangeId, (m = new Map<number, string>()));
    m.set(headerIndex, raw);
  }

  /** The raw value behind a masked request header, for an explicit user click. */
  reveal(exchangeId: string, headerIndex: number): string | undefined {
    return this.revealable.get(exchangeId)?.get(headerIndex);
  }

  /** Empties the trace, but for running operations (they go on adding exchanges, and are never dropped):
   * after `cleared` they are announced again, so that a view shows them. */
  clear(): void {
    const running = [...this.ops.values()].filter((op) => op.state === 'running');
    this.ops.clear();
    this.revealable.clear();
    this.bodies.clear();
    this.bodyChars = 0;
    this.exchangeCount = 0;
    for (const op of running) {
      this.ops.set(op.id, op);
      this.exchangeCount += op.exchanges.length;
      for (const ex of op.exchanges) this.countBodies(ex);
    }
    this.emit({ type: 'cleared' });
    for (const op of running) {
      this.emit({ type: 'operation', operation: op });
      for (const ex of op.exchanges) this.emit({ type: 'exchange', operation: op, exchange: ex });
    }
  }

  get size(): number {
    return this.exchangeCount;
  }

  private enforceCap(): void {
    if (this.exchangeCount <= this.maxExchanges) return;
    const dropped: string[] = [];
    for (const op of this.ops.values()) {
      if (this.exchangeCount <= this.maxExchanges) break;
      if (op.state === 'running') continue; // never drop the running operation
      this.ops.delete(op.id);
      for (const ex of op.exchanges) {
        this.revealable.delete(ex.id);
        this.forgetBodies(ex);
      }
      this.exchangeCount -= op.exchanges.length;
      dropped.push(op.id);
    }
    if (dropped.length) this.emit({ type: 'dropped', operationIds: dropped });
  }

  /** Keeps the count of body characters current for `ex`, then drops the oldest bodies past the budget. */
  private countBodies(ex: Exchange): void {
    const n = (ex.request.body?.length ?? 0) + (ex.response?.body?.length ?? 0);
    const before = this.bodies.get(ex) ?? 0;
    if (before === n) return;
    this.bodyChars += n - before;
    // A Map keeps insertion order: re-inserting puts the body just counted (a response that arrived) at the
    // newest end, so the map runs from the least recently filled body to the most recent.
    this.bodies.delete(ex);
    if (n > 0) this.bodies.set(ex, n);
    for (const [old] of this.bodies) {
      if (this.bodyChars <= this.maxBodyChars) break;
      // never the exchange being filled, nor one still in flight (its response is yet to come)
      if (old === ex || old.state === 'pending') continue;
      delete old.request.body;
      if (old.response) delete old.response.body;
      old.bodiesDropped = true;
      this.forgetBodies(old);
      const op = this.ops.get(old.operationId);
      if (op) this.emit({ type: 'exchange', operation: op, exchange: old });
    }
  }

  private forgetBodies(ex: Exchange): void {
    const n = this.bodies.get(ex);
    if (n === undefined) return;
    this.bodyChars -= n;
    this.bodies.delete(ex);
  }

  private emit(e: TraceEvent): void {
    this.emitter.emit('event', e);
  }
}
