// The SCIM service provider behind the gateway: scimmy-routers for routing, auth and error bodies, SCIMMY
// resource classes for Users and Groups whose read/write/patch/dispose work on this sandbox's Store.
// SCIMMY does the SCIM work (schema coercion and validation, attribute filters, filter parsing and matching,
// PatchOp semantics, ListResponse and Error messages); the store only adds indexes so the common queries stay
// fast at 100,000 users, and a PATCH of members only touches the members it names.
// This file is the routing: what is recorded, authenticated and answered before SCIMMY (the modes that remove
// endpoints or filters), and the post-processing of every answer. The jobs behind it, one file each: context.ts
// (request context, errors, preconditions), filters.ts, render.ts (representations), paging.ts, users.ts,
// groups.ts, members.ts (a write's members), quirks.ts (how quirky providers read a PATCH), discovery.ts.
import { createHash } from 'node:crypto';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import SCIMMY from 'scimmy';
import SCIMMYRouters from 'scimmy-routers';
import type { Json } from '../store';
import { pairs, type ReceivedRequest, type SandboxState } from '../types';
import { ERROR_ID, LIST_ID, scimError, type Ctx } from './context';
import { serviceProviderConfig } from './discovery';
import { SandboxGroup } from './groups';
import { decodeCursor } from './paging';
import { SandboxUser } from './users';

let declared = false;
function declareOnce(): void {
  // SCIMMY's resource registry is process-wide; every sandbox in the process shares these two classes and
  // passes its own state through the handler context, so several sandboxes can run side by side.
  if (declared) return;
  declared = true;
  SCIMMY.Resources.declare(SandboxUser, 'User');
  SCIMMY.Resources.declare(SandboxGroup, 'Group');
}

function authProblem(state: SandboxState, header: string | undefined): string | undefined {
  const auth = state.auth;
  if (auth.type === 'none') return undefined;
  if (!header) return 'Authorization header required';
  if (auth.type === 'basic') {
    const m = /^basic\s+(.+)$/i.exec(header);
    if (!m) return 'Basic authorization required';
    const decoded = Buffer.from(m[1]!.trim(), 'base64').toString('utf8');
    return decoded === `${auth.username}:${auth.password}` ? undefined : 'Invalid username or password';
  }
  const m = /^bearer\s+(.+)$/i.exec(header);
  if (!m) return 'Bearer token required';
  return m[1]!.trim() === auth.token ? undefined : 'Invalid bearer token';
}

const ctxKey = Symbol('sandboxCtx');
type WithCtx = Request & { [ctxKey]?: Ctx };

/** Walk a response body: absolute meta.location, ETag and Location headers, Entra's lowercase `resources`. */
function finish(c: Ctx, req: Request, res: Response, body: unknown): unknown {
  if (!body || typeof body !== 'object') return body;
  let out = body as Json;
  const origin = new URL(c.base).origin;
  const fixLocation = (r: unknown): void => {
    const m = r && typeof r === 'object' ? ((r as Json)['meta'] as Json | undefined) : undefined;
    if (m && typeof m['location'] === 'string' && m['location'].startsWith('/')) m['location'] = origin + m['location'];
  };
  const schemas = Array.isArray(out['schemas']) ? (out['schemas'] as unknown[]) : [];
  const needsCopy = (m: Json | undefined): boolean => !!m && typeof m['location'] === 'string' && m['location'].startsWith('/');
  if (schemas.includes(LIST_ID)) {
    const list = (out['Resources'] as unknown[] | undefined) ?? [];
    if (list.some((r) => needsCopy((r as Json)?.['meta'] as Json | undefined))) {
      out = JSON.parse(JSON.stringify(out)) as Json;
      ((out['Resources'] as unknown[]) ?? []).forEach(fixLocation);
    }
    if (c.state.faults.has('entra')) {
      const renamed: Json = {};
      for (const [k, v] of Object.entries(out)) renamed[k === 'Resources' ? 'resources' : k] = v;
      out = renamed;
    }
    return out;
  }
  if (schemas.includes(ERROR_ID)) return out;
  if (needsCopy(out['meta'] as Json | undefined)) {
    out = JSON.parse(JSON.stringify(out)) as Json;
    fixLocation(out);
  }
  const m = out['meta'] as Json | undefined;
  if (m && typeof m['version'] === 'string' && c.state.faults.has('etag')) res.setHeader('ETag', m['version']);
  if (m && typeof m['location'] === 'string' && req.method === 'POST' && res.statusCode === 201) res.setHeader('Location', m['location']);
  return out;
}

export function createBackendApp(state: SandboxState): express.Express {
  declareOnce();
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  // 1. record what arrived (raw headers in order, raw body) and what was answered
  app.use((req: Request, res: Response, next: NextFunction) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', next);
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const rec: ReceivedRequest = {
        seq: ++state.backendSeq, method: req.method, url: req.originalUrl, rawHeaders: pairs(req.rawHeaders),
        body: raw.toString('utf8'), at: (state.now ?? Date.now)(), status: 0, answeredBy: 'backend',
      };
      state.backendReceived.push(rec);
      res.on('finish', () => { rec.status = res.statusCode; });
      // the stream is consumed, so SCIMMY's body parser will skip it: parse JSON here (same content types)
      const type = String(req.headers['content-type'] ?? '').toLowerCase();
      if (raw.length > 0 && /^application\/(scim\+)?json\b/.test(type)) {
        try {
          req.body = JSON.parse(raw.toString('utf8')) as unknown;
        } catch (ex) {
          res.status(400).type('application/scim+json').send(JSON.stringify(scimError(400, `Request body is not valid JSON: ${(ex as Error).message}`, 'invalidSyntax')));
          return;
        }
      }
      next();
    });
  });

  const scim = express.Router();
  // 2. SCIM authentication (the gateway key is the gateway's business, not the backend's)
  scim.use((req: Request, res: Response, next: NextFunction) => {
    const problem = authProblem(state, req.headers.authorization);
    if (!problem) return next();
    if (state.auth.type === 'basic') res.setHeader('WWW-Authenticate', 'Basic realm="scim-sandbox"');
    if (state.auth.type === 'bearer') res.setHeader('WWW-Authenticate', 'Bearer realm="scim-sandbox"');
    res.status(401).type('application/scim+json').send(JSON.stringify(scimError(401, problem)));
  });

  // 3. request context for the resource classes, and response post-processing
  scim.use((req: Request, res: Response, next: NextFunction) => {
    const base = state.faults.has('backend-locations') ? state.backendUrl : state.gatewayUrl;
    const ifMatch = req.headers['if-match'];
    const int = (v: unknown): number | undefined => (typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : undefined);
    const c: Ctx = {
      state, method: req.method, ifMatch: Array.isArray(ifMatch) ? ifMatch.join(', ') : ifMatch, base, cursorOffset: 0,
      startIndex: int(req.query['startIndex']), count: int(req.query['count']),
    };
    (req as WithCtx)[ctxKey] = c;
    const json = res.json.bind(res);
    res.json = ((body: unknown) => json(finish(c, req, res, body))) as Response['json'];
    // RFC 9865 cursors are checked here because SCIMMY's error message has no `invalidCursor`
    if (req.method === 'GET' && state.faults.has('cursor') && /^\/(Users|Groups)\/?$/.test(req.path)) {
      const cursor = req.query['cursor'];
      if (typeof cursor === 'string' && cursor !== '') {
        const offset = decodeCursor(state, cursor);
        if (offset === undefined) {
          res.status(400).type('application/scim+json').send(JSON.stringify(scimError(400, `Cursor "${cursor}" is not valid`, 'invalidCursor')));
          return;
        }
        c.cursorOffset = offset;
      } else if (cursor !== undefined && typeof cursor !== 'string') {
        res.status(400).type('application/scim+json').send(JSON.stringify(scimError(400, 'Cursor must be a single value', 'invalidCursor')));
        return;
      }
    }
    next();
  });

  // 'no-discovery' / 'no-resource-types': discovery endpoints that are not there
  scim.use((req: Request, res: Response, next: NextFunction) => {
    const doc = /^\/(ServiceProviderConfig|ResourceTypes|Schemas)(\/|$)/i.exec(req.path)?.[1]?.toLowerCase();
    if (!doc || !(state.faults.has('no-discovery') || (state.faults.has('no-resource-types') && doc !== 'serviceproviderconfig'))) return next();
    res.status(404).type('application/scim+json').send(JSON.stringify(scimError(404, 'Endpoint Not Found')));
  });

  // discovery documents carry an ETag (a hash of the body, weak) and answer 304 to an If-None-Match that names it,
  // as RFC 9110 §13.1.2 has it: clients may revalidate a cached copy instead of fetching it again
  scim.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' || !/^\/(ServiceProviderConfig|ResourceTypes|Schemas)(\/|$)/i.test(req.path)) return next();
    const send = res.send.bind(res);
    res.send = (body?: unknown) => {
      if (res.statusCode !== 200 || (typeof body !== 'string' && !Buffer.isBuffer(body))) return send(body);
      const etag = `W/"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
      res.setHeader('ETag', etag);
      const inm = String(req.headers['if-none-match'] ?? '');
      if (inm.split(',').some((t) => t.trim() === etag || t.trim() === '*')) {
        res.status(304).removeHeader('Content-Type');
        return send();
      }
      return send(body);
    };
    next();
  });

  // 'no-filter' and 'capped-group-read': no filtered list or search, whatever the filter (see FaultMode);
  // 'filter-500': every filtered one crashes
  scim.use((req: Request, res: Response, next: NextFunction) => {
    const listing = (req.method === 'GET' && /^\/(Users|Groups)\/?$/i.test(req.path)) || (req.method === 'POST' && /\/\.search\/?$/i.test(req.path));
    const filter = req.method === 'POST' ? (req.body as Json | undefined)?.['filter'] : req.query['filter'];
    if (!listing || filter === undefined) return next();
    if (state.faults.has('filter-500')) {
      res.status(500).type('application/scim+json').send(JSON.stringify(scimError(500, 'Internal Server Error: filter evaluation failed')));
      return;
    }
    if (!state.faults.has('no-filter') && !state.faults.has('capped-group-read')) return next();
    res.status(400).type('application/scim+json').send(JSON.stringify(scimError(400, 'Filtering is not supported by this service provider', 'invalidFilter')));
  });

  scim.get('/ServiceProviderConfig', (req: Request, res: Response) => {
    const c = (req as WithCtx)[ctxKey]!;
    res.type('application/scim+json').json(serviceProviderConfig(state, `${c.base}`));
  });
  scim.all('/Bulk', (_req: Request, res: Response) => {
    res.status(501).type('application/scim+json').send(JSON.stringify(scimError(501, 'Bulk operations are not supported by this service provider')));
  });

  // 4. everything else: scimmy-routers
  scim.use(new SCIMMYRouters({
    type: state.auth.type === 'bearer' ? 'bearer' : 'basic',
    handler: () => '', // authentication already done above; '' makes /Me answer 501
    context: (req: Request) => (req as WithCtx)[ctxKey],
  }) as unknown as express.Router);

  app.use('/scim/v2', scim);
  app.use((_req: Request, res: Response) => {
    res.status(404).type('application/scim+json').send(JSON.stringify(scimError(404, 'Endpoint Not Found')));
  });
  // last resort: never answer HTML from the backend
  app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    res.status(500).type('application/scim+json').send(JSON.stringify(scimError(500, err.message)));
  });
  return app;
}
