// An APIM-like gateway in front of the backend: subscription key on every method (header first, query only
// when the header is absent), APIM's own error bodies, the key stripped before forwarding, and fault modes.
import http from 'node:http';
import { pairs, type ReceivedRequest, type SandboxState } from './types';

const BASE_PATH = '/scim/v2';
const MISSING_KEY = 'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.';
const INVALID_KEY = 'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.';
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host', 'content-length']);

const HTML_502 = `<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title></head>
<body><h1>Bad Gateway</h1><p>The gateway did not receive a timely response from the upstream server.</p></body></html>
`;

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

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

function forward(state: SandboxState, req: http.IncomingMessage, url: URL, body: Buffer): Promise<Upstream> {
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
  let path = url.pathname;
  if (q.has(state.keyQuery)) {
    q.delete(state.keyQuery);
    const rest = q.toString();
    path += rest ? `?${rest}` : '';
  } else path += url.search;
  return new Promise((resolve, reject) => {
    const up = http.request({ host: backend.hostname, port: backend.port, method: req.method, path, headers, agent: false }, (r) => {
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

export function createGateway(state: SandboxState): http.Server {
  return http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    try {
      for await (const c of req) chunks.push(c as Buffer);
    } catch {
      return;
    }
    const body = Buffer.concat(chunks);
    const rec: ReceivedRequest = {
      seq: ++state.gatewaySeq, method: req.method ?? '', url: req.url ?? '', rawHeaders: pairs(req.rawHeaders),
      body: body.toString('utf8'), at: Date.now(), status: 0, answeredBy: 'gateway',
    };
    state.received.push(rec);
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    const method = (req.method ?? 'GET').toUpperCase();

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
      up = await forward(state, req, url, body);
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
  });
}
