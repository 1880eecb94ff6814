// Lists: one page of a ListResponse, by index or by RFC 9865 cursor, capped as the service says it caps.
import SCIMMY from 'scimmy';
import type { Json } from '../store';
import type { SandboxState } from '../types';
import { DEFAULT_PAGE, type Ctx } from './context';

export function page(c: Ctx, resource: SCIMMY.Types.Resource, ids: readonly string[], render: (id: string) => unknown): SCIMMY.Messages.ListResponse {
  const cons = { startIndex: c.startIndex ?? resource.constraints?.startIndex, count: c.count ?? resource.constraints?.count };
  // a filtered list is capped at filter.maxResults too (RFC 7643 §5: the most resources returned in a response)
  const filtered = !!resource.filter && resource.filter.length > 0;
  const max = filtered && c.state.filterMaxResults !== undefined ? Math.min(c.state.maxPageSize, c.state.filterMaxResults) : c.state.maxPageSize;
  const count = Math.max(0, Math.min(typeof cons.count === 'number' ? cons.count : Math.min(DEFAULT_PAGE, max), max));
  const cursorMode = c.state.faults.has('cursor');
  const offset = cursorMode ? c.cursorOffset : Math.max(1, typeof cons.startIndex === 'number' ? cons.startIndex : 1) - 1;
  const slice = ids.slice(offset, offset + count);
  const items = slice.map(render);
  // build with startIndex 1 so SCIMMY does not slice again (the page is already cut), then tell the truth
  const list = new SCIMMY.Messages.ListResponse(items as never[], { totalResults: ids.length, startIndex: 1, itemsPerPage: Math.max(count, 0) });
  const out = list as unknown as Json;
  out['itemsPerPage'] = items.length;
  if (c.state.faults.has('capped-group-read')) delete out['totalResults'];
  if (cursorMode) {
    delete out['startIndex'];
    if (offset + count < ids.length && count > 0) out['nextCursor'] = encodeCursor(c.state, offset + count);
  } else {
    out['startIndex'] = offset + 1;
  }
  return list;
}

export function encodeCursor(state: SandboxState, offset: number): string {
  return Buffer.from(`${state.cursorNonce}:${offset}`).toString('base64url');
}

export function decodeCursor(state: SandboxState, cursor: string): number | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^([^:]+):(\d{1,9})$/.exec(text);
  if (!m || m[1] !== state.cursorNonce) return undefined;
  return Number(m[2]);
}
