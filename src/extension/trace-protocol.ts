// Messages between the trace panel host (./trace-panel.ts) and its webview (media/trace.js), and the
// light row summaries the list is drawn from (no `vscode` import, unit-tested). Full exchanges are sent
// only when one is selected, so 10,000 exchanges stay cheap; live changes go out in batches.
import type { Diagnosis } from '../core/diagnosis';
import type { ProbeFinding, ProbeRow } from '../core/scim/types';
import type { Exchange, Operation, TraceEvent } from '../core/trace';

export interface OpRow {
  id: string;
  title: string;
  profile: string;
  state: Operation['state'];
  startedAt: number;
  endedAt?: number;
  summary?: string;
  progress?: string;
  diagnosis?: string;
  severity?: Diagnosis['severity'];
  /** Exchanges whose server URL (meta.location, redirect) pointed at another origin: rewritten onto the
   * gateway, or followed there without credentials; and the hosts they pointed at. */
  rewritten?: number;
  followed?: number;
  locationHosts?: string[];
}

export interface ExRow {
  id: string;
  op: string;
  seq: number;
  method: string;
  /** Path and query of the URL (already masked by the trace). */
  path: string;
  host: string;
  status?: number;
  state: Exchange['state'];
  ms?: number;
  attempt: number;
  diagnosis?: string;
  error?: string;
  /** The URL came from the server and pointed at another origin (`locationHost`): rewritten onto the gateway,
   * or followed without credentials. */
  location?: 'rewritten' | 'followed';
  locationHost?: string;
  /** A non-2xx answer that was expected (see Exchange.expected): not drawn as an error. */
  expected?: string;
}

export type HostMessage =
  | { type: 'snapshot'; ops: OpRow[]; exchanges: ExRow[] }
  | { type: 'update'; ops: OpRow[]; exchanges: ExRow[]; dropped: string[]; cleared: boolean }
  | { type: 'detail'; exchange: Exchange; operation?: OpRow; operationDiagnosis?: Diagnosis; revealable: number[]; slot: 'detail' | 'a' | 'b' }
  | { type: 'revealed'; exchangeId: string; index: number; value: string | null }
  | { type: 'probe'; profile: string; rows: ProbeRow[]; findings?: ProbeFinding[] }
  | { type: 'select'; exchangeId: string };

export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'detail'; exchangeId: string; slot: 'detail' | 'a' | 'b' }
  | { type: 'reveal'; exchangeId: string; index: number }
  | { type: 'exportHar'; operationId?: string }
  | { type: 'copyCurl'; exchangeId: string }
  | { type: 'copyUrl'; exchangeId: string }
  | { type: 'clear' };

export function isWebviewMessage(m: unknown): m is WebviewMessage {
  if (!m || typeof m !== 'object') return false;
  const t = (m as { type?: unknown }).type;
  const o = m as Record<string, unknown>;
  switch (t) {
    case 'ready': case 'clear':
      return true;
    case 'exportHar':
      return o['operationId'] === undefined || typeof o['operationId'] === 'string';
    case 'detail':
      return typeof o['exchangeId'] === 'string' && (o['slot'] === 'detail' || o['slot'] === 'a' || o['slot'] === 'b');
    case 'reveal':
      return typeof o['exchangeId'] === 'string' && Number.isInteger(o['index']);
    case 'copyCurl': case 'copyUrl':
      return typeof o['exchangeId'] === 'string';
    default:
      return false;
  }
}

export function opRow(op: Operation): OpRow {
  const row: OpRow = {
    id: op.id, title: op.title, profile: op.profile, state: op.state, startedAt: op.startedAt, endedAt: op.endedAt,
    summary: op.summary, progress: op.progress, diagnosis: op.diagnosis?.summary, severity: op.diagnosis?.severity,
  };
  let rewritten = 0;
  let followed = 0;
  const hosts = new Set<string>();
  for (const ex of op.exchanges) {
    if (!ex.location) continue;
    if (ex.location.credentialsWithheld) followed += 1;
    else rewritten += 1;
    const host = locationHost(ex);
    if (host) hosts.add(host);
  }
  if (rewritten) row.rewritten = rewritten;
  if (followed) row.followed = followed;
  if (hosts.size) row.locationHosts = [...hosts];
  return row;
}

/** The host a server URL pointed at (the origin it named, which a rewrite replaced). */
function locationHost(ex: Exchange): string | undefined {
  const url = ex.location ? (ex.location.credentialsWithheld ? ex.location.to : ex.location.from) : undefined;
  return url ? /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url)?.[1] : undefined;
}

export function exRow(ex: Exchange): ExRow {
  // Split the URL as text: URL parsing would percent-encode the mask's "••••".
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)(.*)$/i.exec(ex.request.url);
  const host = m?.[1] ?? '';
  const path = m ? m[2] || '/' : ex.request.url;
  return {
    id: ex.id, op: ex.operationId, seq: ex.seq, method: ex.request.method, path, host,
    status: ex.response?.status, state: ex.state, ms: ex.timings.end, attempt: ex.attempt,
    diagnosis: ex.diagnosis?.summary, error: ex.error?.message,
    ...(ex.location ? { location: ex.location.credentialsWithheld ? 'followed' as const : 'rewritten' as const, locationHost: locationHost(ex) } : {}),
    ...(ex.expected ? { expected: ex.expected } : {}),
  };
}

export function snapshot(ops: readonly Operation[]): HostMessage {
  return { type: 'snapshot', ops: ops.map(opRow), exchanges: ops.flatMap((o) => o.exchanges.map(exRow)) };
}

/**
 * Collects trace events and posts them at most once per `intervalMs`: several changes of the same
 * operation or exchange become one row; the whole trace is never re-sent.
 */
export class TraceBatcher {
  private ops = new Map<string, Operation>();
  private exchanges = new Map<string, Exchange>();
  private dropped: string[] = [];
  private cleared = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly post: (m: HostMessage) => void,
    private readonly intervalMs = 50,
    private readonly schedule: (fn: () => void, ms: number) => ReturnType<typeof setTimeout> = setTimeout,
  ) {}

  handle(e: TraceEvent): void {
    switch (e.type) {
      case 'operation':
        this.ops.set(e.operation.id, e.operation);
        break;
      case 'exchange':
        this.ops.set(e.operation.id, e.operation);
        this.exchanges.set(e.exchange.id, e.exchange);
        break;
      case 'dropped':
        for (const id of e.operationIds) {
          this.ops.delete(id);
          for (const [exId, ex] of this.exchanges) if (ex.operationId === id) this.exchanges.delete(exId);
        }
        this.dropped.push(...e.operationIds);
        break;
      case 'cleared':
        this.ops.clear();
        this.exchanges.clear();
        this.dropped = [];
        this.cleared = true;
        break;
    }
    if (this.timer === undefined) this.timer = this.schedule(() => this.flush(), this.intervalMs);
  }

  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.ops.size && !this.exchanges.size && !this.dropped.length && !this.cleared) return;
    const msg: HostMessage = {
      type: 'update', ops: [...this.ops.values()].map(opRow), exchanges: [...this.exchanges.values()].map(exRow),
      dropped: this.dropped, cleared: this.cleared,
    };
    this.ops.clear();
    this.exchanges.clear();
    this.dropped = [];
    this.cleared = false;
    this.post(msg);
  }

  /** Forgets what is pending (a snapshot is about to cover it). */
  reset(): void {
    this.dispose();
    this.ops.clear();
    this.exchanges.clear();
    this.dropped = [];
    this.cleared = false;
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
