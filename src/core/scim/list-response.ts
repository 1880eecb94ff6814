// A list answer (RFC 7644 §3.4.2, RFC 9865 cursors) read defensively, as ./parse.ts reads the others. Read by
// listings only (./client/paging.ts): the extension loads it with them (dist/listing.js, scripts/build.mjs LAZY).
import { ScimxError } from '../errors';
import { num, obj, resourcesOf, type Json } from './parse';
import type { ListPage, ScimResource } from './types';

export function parseListResponse(body: Json, ctx: { requested: Record<string, unknown>; exchangeId?: string }): ListPage {
  const list = resourcesOf(body);
  const total = num(body.totalResults);
  if (!list) {
    if (total === 0) return { resources: [], totalResults: 0 };
    throw new ScimxError('response', 'The list answer has no "Resources" array', { exchangeId: ctx.exchangeId });
  }
  const resources: ScimResource[] = [];
  const warnings: string[] = [];
  list.forEach((r, i) => {
    const o = obj(r);
    if (!o || typeof o.id !== 'string' || !o.id) {
      warnings.push(`item ${i + 1} has no "id" and was skipped`);
      return;
    }
    resources.push(o as ScimResource);
  });
  const startIndex = num(body.startIndex) ?? num(ctx.requested.startIndex);
  const itemsPerPage = num(body.itemsPerPage) ?? list.length;
  const nextCursor = typeof body.nextCursor === 'string' && body.nextCursor ? body.nextCursor : undefined;
  const page: ListPage = { resources, totalResults: total, startIndex, itemsPerPage, nextCursor };
  if (warnings.length) page.warnings = warnings;

  // RFC 9865: a server that answers with a cursor pages by it, whatever we asked for (a cursor-only server
  // ignores startIndex, so index paging would fetch its first page forever). Asked by cursor and answered
  // without one, this is the last page.
  if (nextCursor) {
    page.next = { cursor: nextCursor };
  } else if (ctx.requested.cursor === undefined && list.length > 0) {
    // Never before where we asked (below 1 reads as 1, RFC 7644 §3.4.2.4): a server that echoes a lower
    // startIndex (always 1, or 0-based) but pages correctly is paged on; one that ignores startIndex repeats
    // its page, which the pagers stop on.
    const asked = Math.max(1, num(ctx.requested.startIndex) ?? 1);
    const start = Math.max(asked, startIndex ?? 1);
    const nextStart = start + list.length;
    if (total !== undefined ? nextStart <= total : list.length >= (num(ctx.requested.count) ?? Infinity)) {
      page.next = { startIndex: nextStart };
    }
  }
  return page;
}
