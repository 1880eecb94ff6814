// The sandbox's APIM-like gateway (src/sandbox/gateway.ts, used as is) in front of a backend of the test's own:
// an Express app that answers what a real service would (Express's own "Cannot GET" pages, 405s, missing
// discovery endpoints) and forwards everything else to a real sandbox's backend. So the gateway really forwards,
// and what the backend writes reaches the client exactly as a real gateway would relay it. 127.0.0.1 only,
// ports chosen at run time; stop() closes both servers it started.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createGateway } from '../../src/sandbox/gateway';
import { prng, type ReceivedRequest, type SandboxState } from '../../src/sandbox/types';
import type { Sandbox } from '../../src/sandbox/index';

export interface CustomStack {
  /** SCIM base URL through the gateway. */
  gatewayUrl: string;
  key: string;
  keyHeader: string;
  keyQuery: string;
  /** Everything the gateway received, with who answered. */
  received: ReceivedRequest[];
  /** Everything the custom backend received: method and path with query. */
  backendHits: Array<{ method: string; url: string }>;
  stop(): Promise<void>;
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Forwards a request to the sandbox's own backend (its SCIM base path kept), answer relayed as is. */
export function forwardTo(sb: Sandbox): express.RequestHandler {
  const target = new URL(sb.backendUrl);
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = { ...req.headers, host: target.host };
      const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.originalUrl, headers, agent: false }, (r) => {
        res.status(r.statusCode ?? 502);
        for (const [k, v] of Object.entries(r.headers)) if (v !== undefined && k !== 'transfer-encoding' && k !== 'connection') res.setHeader(k, v);
        r.pipe(res);
      });
      up.on('error', () => res.status(502).end());
      up.end(Buffer.concat(chunks));
    });
  };
}

/** Starts the gateway over `configure(app)`'s Express backend (Express defaults kept: X-Powered-By, its
 * "Cannot GET" page for a route it does not have). */
export async function startCustomStack(sb: Pick<Sandbox, 'key' | 'keyHeader' | 'keyQuery'>, configure: (app: express.Express) => void): Promise<CustomStack> {
  const backendHits: CustomStack['backendHits'] = [];
  const app = express();
  app.use((req, _res, next) => { backendHits.push({ method: req.method, url: req.originalUrl }); next(); });
  configure(app);
  const backend = http.createServer(app);
  const backendPort = await listen(backend);
  const state = {
    faults: new Set(), settings: { retryAfterSeconds: 1, faultRate: 0, slowMs: 0 },
    key: sb.key, keyHeader: sb.keyHeader, keyQuery: sb.keyQuery,
    backendUrl: `http://127.0.0.1:${backendPort}/scim/v2`, gatewayUrl: '',
    received: [] as ReceivedRequest[], backendReceived: [], scripted: [], random: prng(1), gatewaySeq: 0, backendSeq: 0,
  } as unknown as SandboxState;
  const gateway = createGateway(state);
  const gatewayPort = await listen(gateway);
  state.gatewayUrl = `http://127.0.0.1:${gatewayPort}/scim/v2`;
  return {
    gatewayUrl: state.gatewayUrl, key: sb.key, keyHeader: sb.keyHeader, keyQuery: sb.keyQuery,
    received: state.received, backendHits,
    stop: async () => { await Promise.all([close(gateway), close(backend)]); },
  };
}
