// An APIM-like gateway in front of the backend: subscription key on every method (header first, query only
// when the header is absent), APIM's own error bodies, the key stripped before forwarding, and fault modes.
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_LATENCY_MS, FAULT_MODES, GATEWAY_FAULT_MODES, type FaultMode } from './modes';
import { applyFaultSettings, pairs, prng, type ReceivedRequest, type SandboxState, type ScriptedFault } from './types';

/** The API's path on the gateway (APIM's "API URL suffix"); the backend's own path may differ. */
export const GATEWAY_API_PATH = '/scim/v2';

/** What the gateway needs of a sandbox: its key, faults and logs (a third-party backend gets the same). */
export type GatewayState = Pick<SandboxState, 'faults' | 'settings' | 'key' | 'keyHeader' | 'keyQuery' | 'backendUrl'
  | 'received' | 'scripted' | 'random' | 'gatewaySeq' | 'now'>;

const BASE_PATH = GATEWAY_API_PATH;
const MISSING_KEY = 'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.';
const INVALID_KEY = 'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.';
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'content-length']);

const HTML_502 = `<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title></head>
<body><h1>Bad Gateway</h1><p>The gateway did not receive a timely response from the upstream server.</p></body></html>
`;

// unref: a delayed request never holds the process alive once the sandbox is stopped (a test file that stopped
// it mid-delay ends at once, not when a 30 s delay runs out); while the servers listen they hold it anyway
const delay = (ms: number): Promise<void> => new Promise((r) => { setTimeout(r, ms).unref(); });

function sendApim(res: http.ServerResponse, rec: ReceivedRequest, status: number, message: string, extra: Record<string, string> = {}): void {
  const body = JSON.stringify({ statusCode: status, message });
  rec.status = status;
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

/** The SCIM service's own 409 Conflict (RFC 7644 §3.12 error body), for the scripted '409' fault. */
function sendScimConflict(res: http.ServerResponse, rec: ReceivedRequest): void {
  const body = JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '409', detail: 'Conflict: the resource was modified concurrently' });
  rec.status = 409;
  res.writeHead(409, { 'Content-Type': 'application/scim+json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function quotaWait(): string {
  // time to the next full hour, APIM style hh:mm:ss
  const now = new Date();
  const secs = 3600 - (now.getUTCMinutes() * 60 + now.getUTCSeconds());
  const hh = String(Math.floor(secs / 3600)).padStart(2, '0');
  const mm = String(Math.floor((secs % 3600) / 60)).padStart(2, '0');
  const ss = String(secs % 60).padStart(2, '0');
  return `${hh}:${mm}:${ss}`;
}

interface Upstream {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

function forward(state: GatewayState, upstream: http.Agent, req: http.IncomingMessage, url: URL, body: Buffer): Promise<Upstream> {
  const backend = new URL(state.backendUrl);
  const headers: Record<string, string | string[]> = {};
  const keyHeader = state.keyHeader.toLowerCase();
  for (const [name, value] of pairs(req.rawHeaders)) {
    const lower = name.toLowerCase();
    if (lower === keyHeader || HOP_BY_HOP.has(lower)) continue;
    const prev = headers[name];
    headers[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  headers['Host'] = backend.host;
  headers['X-Forwarded-Host'] = req.headers.host ?? '';
  headers['X-Forwarded-Proto'] = 'http';
  if (body.length > 0 || !['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(req.method ?? 'GET')) headers['Content-Length'] = String(body.length);
  // APIM forwards the query as received; the subscription key parameter is removed like the header
  const q = new URLSearchParams(url.search);
  // the API's path on the gateway maps onto the backend's base path (APIM's backend service URL)
  let path = backend.pathname.replace(/\/+$/, '') + url.pathname.slice(BASE_PATH.length);
  if (q.has(state.keyQuery)) {
    q.delete(state.keyQuery);
    const rest = q.toString();
    path += rest ? `?${rest}` : '';
  } else path += url.search;
  return new Promise((resolve, reject) => {
    const up = http.request({ host: backend.hostname, port: backend.port, method: req.method, path, headers, agent: upstream }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => resolve({ status: r.statusCode ?? 502, headers: r.headers, rawHeaders: r.rawHeaders, body: Buffer.concat(chunks) }));
      r.on('error', reject);
    });
    up.on('error', reject);
    up.end(body);
  });
}

function relay(res: http.ServerResponse, rec: ReceivedRequest, up: Upstream): void {
  const out: Array<[string, string]> = [];
  for (const [name, value] of pairs(up.rawHeaders)) {
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || lower === 'date') continue;
    out.push([name, value]);
  }
  out.push(['Content-Length', String(up.body.length)]);
  rec.status = up.status;
  rec.answeredBy = 'backend';
  res.writeHead(up.status, out.flat());
  res.end(up.body);
}

export function createGateway(state: GatewayState): http.Server {
  // one keep-alive connection pool to the backend, as APIM keeps its backend connections open: a forwarded
  // request does not pay a TCP connect and close (a real gateway's latency is `latency` mode's business)
  const upstream = new http.Agent({ keepAlive: true });
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    try {
      for await (const c of req) chunks.push(c as Buffer);
    } catch {
      return;
    }
    const body = Buffer.concat(chunks);
    const rec: ReceivedRequest = {
      seq: ++state.gatewaySeq, method: req.method ?? '', url: req.url ?? '', rawHeaders: pairs(req.rawHeaders),
      body: body.toString('utf8'), at: (state.now ?? Date.now)(), status: 0, answeredBy: 'gateway',
    };
    state.received.push(rec);
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    // a gateway far away: every answer, its own or the backend's, comes later (one round trip's worth)
    if (state.faults.has('latency')) await delay(state.settings.latencyMs);

    // 1. API matching by path, then operation matching (an API without a PATCH operation answers 404)
    if (url.pathname !== BASE_PATH && !url.pathname.startsWith(`${BASE_PATH}/`)) return sendApim(res, rec, 404, 'Resource not found');
    if (method === 'PATCH' && state.faults.has('patch-not-routed')) return sendApim(res, rec, 404, 'Resource not found');

    // 2. subscription key: header first; the query parameter only when the header is absent
    const fromHeader = req.headers[state.keyHeader.toLowerCase()];
    const provided = fromHeader !== undefined ? (Array.isArray(fromHeader) ? fromHeader[0] : fromHeader) : url.searchParams.get(state.keyQuery);
    if (provided === undefined || provided === null || provided.trim() === '') return sendApim(res, rec, 401, MISSING_KEY);
    if (provided.trim() !== state.key) return sendApim(res, rec, 401, INVALID_KEY);

    // 3. policies and faults
    const f = state.faults;
    const s = state.settings;
    const si = state.scripted.findIndex((x) => x.method === method);
    const scripted = si >= 0 ? state.scripted.splice(si, 1)[0]!.fault : undefined;
    if (scripted === '429') return sendApim(res, rec, 429, `Rate limit is exceeded. Try again in ${s.retryAfterSeconds} seconds.`, { 'Retry-After': String(s.retryAfterSeconds) });
    if (scripted === '409') return sendScimConflict(res, rec);
    if (f.has('quota')) return sendApim(res, rec, 403, `Out of call volume quota. Quota will be replenished in ${quotaWait()}.`);
    if (f.has('ratelimit') && state.random() < s.faultRate) {
      return sendApim(res, rec, 429, `Rate limit is exceeded. Try again in ${s.retryAfterSeconds} seconds.`, { 'Retry-After': String(s.retryAfterSeconds) });
    }
    if (f.has('html-errors') && state.random() < s.faultRate) {
      rec.status = 502;
      res.writeHead(502, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(HTML_502) });
      res.end(HTML_502);
      return;
    }
    let flaky: 'none' | '503-before' | 'reset-before' | '503-after' | 'reset-after' | 'slow-after' = scripted ?? 'none';
    if (!scripted && f.has('flaky') && state.random() < s.faultRate) {
      const write = method !== 'GET' && method !== 'HEAD';
      const r = state.random();
      if (write && r < 0.5) flaky = r < 0.25 ? 'reset-after' : '503-after';
      else flaky = r < 0.75 ? '503-before' : 'reset-before';
    }
    if (flaky === '503-before') return sendApim(res, rec, 503, 'Service Unavailable');
    if (flaky === 'reset-before') {
      rec.status = 0;
      req.socket.destroy();
      return;
    }
    if (f.has('slow')) await delay(s.slowMs);

    // 4. forward
    let up: Upstream;
    try {
      up = await forward(state, upstream, req, url, body);
    } catch (ex) {
      return sendApim(res, rec, 502, `Backend unreachable: ${(ex as Error).message}`);
    }
    // the backend applied it; the client will not know
    if (flaky === 'reset-after') {
      rec.status = 0;
      req.socket.destroy();
      return;
    }
    if (flaky === '503-after') return sendApim(res, rec, 503, 'Service Unavailable');
    if (flaky === 'slow-after') await delay(s.slowMs);
    relay(res, rec, up);
  };
  const server = http.createServer((req, res) => { void handle(req, res); });
  server.on('close', () => upstream.destroy());
  return server;
}

// ---------------------------------------------------------------------------------------------------------
// the gateway alone, in front of any SCIM service (a third-party server, a real one on loopback)

export interface GatewayOptions {
  /** subscription key; default random */
  key?: string;
  /** default 'Ocp-Apim-Subscription-Key' */
  keyHeader?: string;
  /** default 'subscription-key' */
  keyQuery?: string;
  /** gateway fault modes only (GATEWAY_FAULT_MODES) */
  faults?: FaultMode[];
  retryAfterSeconds?: number;
  faultRate?: number;
  /** `latency` mode: ms added before every answer, default 50 */
  latencyMs?: number;
  seed?: number;
  slowMs?: number;
  port?: number;
}

export interface GatewayFront {
  /** SCIM base URL through the gateway, e.g. http://127.0.0.1:P/scim/v2 */
  gatewayUrl: string;
  /** the SCIM service's own base URL, as given */
  backendUrl: string;
  key: string;
  keyHeader: string;
  keyQuery: string;
  /** everything the gateway received, with what it answered and who answered it */
  received: ReceivedRequest[];
  setFaults(faults: FaultMode[], opts?: Partial<Pick<GatewayOptions, 'retryAfterSeconds' | 'faultRate' | 'slowMs' | 'latencyMs'>>): void;
  scriptFault(method: string, fault: ScriptedFault): void;
  clearReceived(): void;
  stop(): Promise<void>;
}

function gatewayFaults(faults: readonly string[]): Set<FaultMode> {
  for (const f of faults) {
    if (!(FAULT_MODES as readonly string[]).includes(f)) throw new Error(`unknown fault mode "${f}" (known: ${FAULT_MODES.join(', ')})`);
    if (!(GATEWAY_FAULT_MODES as readonly string[]).includes(f))
      throw new Error(`fault mode "${f}" is the sandbox backend's, not the gateway's (gateway modes: ${GATEWAY_FAULT_MODES.join(', ')})`);
  }
  return new Set(faults as FaultMode[]);
}

/**
 * Starts the APIM-like gateway alone on 127.0.0.1 in front of `backendUrl` (any SCIM service's base URL, e.g.
 * http://127.0.0.1:P/api/auth/scim/v2): the same key enforcement, APIM error bodies, key stripping, gateway fault
 * modes and log as the sandbox's. The gateway's API path is /scim/v2, mapped onto the backend's path.
 */
export async function startGatewayFor(backendUrl: string, options: GatewayOptions = {}): Promise<GatewayFront> {
  const parsed = new URL(backendUrl);
  if (parsed.protocol !== 'http:') throw new Error(`the gateway forwards to http only, got ${backendUrl}`);
  const state: GatewayState = {
    faults: gatewayFaults(options.faults ?? []),
    settings: { retryAfterSeconds: options.retryAfterSeconds ?? 1, faultRate: options.faultRate ?? 0.3, slowMs: options.slowMs ?? 200, latencyMs: options.latencyMs ?? DEFAULT_LATENCY_MS },
    key: options.key ?? randomBytes(16).toString('hex'),
    keyHeader: options.keyHeader ?? 'Ocp-Apim-Subscription-Key',
    keyQuery: options.keyQuery ?? 'subscription-key',
    backendUrl: backendUrl.replace(/\/+$/, ''),
    received: [],
    scripted: [],
    random: prng(options.seed ?? 1),
    gatewaySeq: 0,
  };
  const ledger = process.env.SCIMX_SECRET_LEDGER;
  if (ledger) {
    try {
      // under `npm test`, the run's secret scan looks for this key in everything printed (see index.ts)
      appendFileSync(ledger, `${JSON.stringify({ value: state.key, from: 'gateway subscription key' })}\n`);
    } catch {
      // a test aid only
    }
  }
  const server = createGateway(state);
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
  let stopped: Promise<void> | undefined;
  return {
    gatewayUrl: `http://127.0.0.1:${port}${BASE_PATH}`,
    backendUrl: state.backendUrl,
    key: state.key,
    keyHeader: state.keyHeader,
    keyQuery: state.keyQuery,
    received: state.received,
    setFaults(faults, opts = {}) {
      state.faults = gatewayFaults(faults);
      applyFaultSettings(state.settings, opts);
    },
    scriptFault(method, fault) {
      state.scripted.push({ method: method.toUpperCase(), fault });
    },
    clearReceived() {
      state.received.length = 0;
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}
