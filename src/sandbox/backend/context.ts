// The context a resource method serves a request in (SCIMMY's handler context), SCIM errors, and the checks
// every write makes before it changes anything (If-Match, PATCH allowed, a body).
import SCIMMY from 'scimmy';
import type { GroupRec, Json, UserRec } from '../store';
import type { SandboxState } from '../types';

export const LIST_ID = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const ERROR_ID = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const DEFAULT_PAGE = 100;

/** What a resource method needs to know about the request it serves (passed as SCIMMY's handler context). */
export interface Ctx {
  state: SandboxState;
  method: string;
  ifMatch: string | undefined;
  /** SCIM base URL used for meta.location and $ref, e.g. http://127.0.0.1:P/scim/v2 */
  base: string;
  /** decoded RFC 9865 cursor (offset) when in cursor mode */
  cursorOffset: number;
  /** paging parameters (Express 5's req.query is re-parsed on each access, so scimmy-routers' numeric cast
   * does not reach the resource constructor: read them here) */
  startIndex: number | undefined;
  count: number | undefined;
}

/** SCIMMY's error type (its typings want a string scimType; SCIMMY itself passes null for "none") */
export const scimErr = (status: number, scimType: string | null, detail: string): SCIMMY.Types.SCIMError =>
  new SCIMMY.Types.Error(status, scimType as string, detail);

export const ctxOf = (ctx: unknown): Ctx => {
  if (!ctx || typeof ctx !== 'object' || !('state' in ctx)) throw scimErr(500, null, 'missing sandbox context');
  return ctx as Ctx;
};

/** 'case-insensitive-ids': ids as stored (lower case) whatever case they arrive in */
export const fold = (c: Ctx, id: string): string => (c.state.faults.has('case-insensitive-ids') ? id.toLowerCase() : id);

export const scimError = (status: number, detail: string, scimType?: string): Json => {
  try {
    return { ...new SCIMMY.Messages.Error({ status, scimType, detail } as never) };
  } catch {
    // statuses or scimTypes SCIMMY does not know (RFC 9865 invalidCursor, 503...): same shape
    return { schemas: [ERROR_ID], status: String(status), ...(scimType ? { scimType } : {}), detail };
  }
};

export const etagOf = (rec: { version: number }): string => `W/"${rec.version}"`;

export function checkIfMatch(c: Ctx, rec: UserRec | GroupRec): void {
  if (!c.state.faults.has('etag')) return;
  // RFC 7644 §3.14 names one status for versioned writes: 412 Precondition Failed. This provider requires
  // If-Match on PUT/PATCH/DELETE, and answers a missing one with 412 too (detail says which case it is).
  if (c.ifMatch === undefined || c.ifMatch.trim() === '')
    throw scimErr(412, null, `If-Match header required: this resource is versioned (current ETag ${etagOf(rec)})`);
  const want = etagOf(rec);
  const strong = want.replace(/^W\//, '');
  const ok = c.ifMatch.split(',').map((s) => s.trim()).some((t) => t === '*' || t === want || t.replace(/^W\//, '') === strong);
  if (!ok) throw scimErr(412, null, `Precondition failed: If-Match ${c.ifMatch} does not match the current version ${want}`);
}

export function checkPatchAllowed(c: Ctx): void {
  if (c.state.faults.has('no-patch')) throw scimErr(501, null, 'PATCH is not supported by this service provider');
}

export function requireBody(instance: unknown, what: string): asserts instance is Json {
  if (instance === undefined) throw scimErr(400, 'invalidSyntax', `Missing request body payload for ${what} operation`);
  if (Object(instance) !== instance || Array.isArray(instance))
    throw scimErr(400, 'invalidSyntax', `Operation ${what} expected request body payload to be single complex value`);
}

export function asScimError(ex: unknown): never {
  if (ex instanceof SCIMMY.Types.Error) throw ex;
  if (ex instanceof TypeError) throw scimErr(400, 'invalidValue', ex.message);
  throw ex;
}
