// scimx list: one page of a resource type, or every page (`--all`) printed as the pages come.
import { ScimxError } from '../../core/errors';
import type { ScimClient } from '../../core/scim/client';
import type { ListOptions, ListPage } from '../../core/scim/types';
import { attr, json, table, tableCells, tableLine, tableWidths } from '../format';
import { csv, resolveType, str, usage, type CommandContext } from './context';

export async function list(client: ScimClient, ctx: CommandContext): Promise<number> {
  const type = ctx.args[0] as string;
  let count: number | undefined;
  const rawCount = str(ctx, 'count');
  if (rawCount !== undefined) {
    count = /^\d+$/.test(rawCount) ? Number(rawCount) : NaN;
    if (!Number.isInteger(count) || count < 1 || count > 100_000) throw usage(`--count must be a positive integer, not "${rawCount}"`, 'list');
  }
  const attributes = csv(str(ctx, 'attributes'));
  let excludedAttributes = csv(str(ctx, 'excluded-attributes'));
  const filter = str(ctx, 'filter');
  if (filter !== undefined && !filter.trim()) throw usage('--filter is empty', 'list');
  const rt = await resolveType(client, ctx, type, 'list');
  // Groups are listed without their member lists unless asked.
  const wantsMembers = attributes?.some((a) => a.toLowerCase().startsWith('members'));
  if (rt.kind === 'group' && !wantsMembers && !excludedAttributes) excludedAttributes = ['members'];
  const opts: ListOptions = { signal: ctx.signal };
  if (filter !== undefined) opts.filter = filter;
  if (attributes) opts.attributes = attributes;
  if (excludedAttributes) opts.excludedAttributes = excludedAttributes;
  if (count !== undefined) opts.count = count;

  const startIndex = str(ctx, 'start-index');
  if (startIndex !== undefined) {
    const n = /^\d+$/.test(startIndex) ? Number(startIndex) : NaN;
    if (!Number.isSafeInteger(n) || n < 1) throw usage(`--start-index must be a positive integer, not "${startIndex}"`, 'list');
    opts.startIndex = n;
  }
  const cursor = str(ctx, 'cursor');
  if (cursor !== undefined) {
    if (startIndex !== undefined) throw usage('--cursor and --start-index do not go together', 'list');
    opts.cursor = cursor;
  }
  const columns = attributes
    ? ['id', ...attributes.filter((a) => a !== 'id')]
    : rt.kind === 'user' ? ['id', 'userName', 'displayName', 'active']
      : rt.kind === 'group' ? ['id', 'displayName', 'externalId']
        : ['id', 'displayName', 'name', 'externalId'];
  if (ctx.values.all === true) return listAll(client, ctx, rt.endpoint, opts, columns);
  if (str(ctx, 'max-pages') !== undefined) throw usage('--max-pages goes with --all', 'list');

  // the service's capabilities decide how the page is asked for: by cursor or index, and at most its maxResults
  await client.discover({ signal: ctx.signal, title: 'discover' }).catch(() => undefined);
  const page = await client.listPage(rt.endpoint, opts, { signal: ctx.signal, title: `list ${rt.endpoint}` });
  const resources = page.resources;
  if (ctx.json) {
    ctx.out(json({ totalResults: page.totalResults, startIndex: page.startIndex, itemsPerPage: page.itemsPerPage, nextCursor: page.nextCursor, next: page.next, Resources: resources }));
    return 0;
  }
  const mask = ctx.mask ?? ((t: string) => t);
  ctx.out(table(columns.map((c) => c.toUpperCase()), resources.map((r) => columns.map((c) => mask(attr(r, c))))));
  const total = page.totalResults;
  const more = page.next ? '; more pages: add --all' : '';
  ctx.out(`${resources.length}${total !== undefined ? ` of ${total}` : ''} ${rt.endpoint}${more}\n`);
  return 0;
}

/** Pages `list --all` reads unless --max-pages says otherwise. */
export const LIST_ALL_MAX_PAGES = 10_000;

/**
 * `list --all`, printed page by page as the pages come (memory holds one page, whatever the server's
 * totalResults), and stopped after --max-pages pages with the way to continue (--start-index or --cursor).
 * JSON: one document `{"Resources": [...], "totalResults": N}` written as it goes; stopped early it also
 * has `"next"`, failed midway `"incomplete": true` and `"error"`.
 */
async function listAll(client: ScimClient, ctx: CommandContext, endpoint: string, opts: ListOptions, columns: string[]): Promise<number> {
  const rawMax = str(ctx, 'max-pages');
  let maxPages = LIST_ALL_MAX_PAGES;
  if (rawMax !== undefined) {
    maxPages = /^\d+$/.test(rawMax) ? Number(rawMax) : NaN;
    if (!Number.isInteger(maxPages) || maxPages < 1 || maxPages > 1_000_000) throw usage(`--max-pages must be an integer from 1 to 1000000, not "${rawMax}"`, 'list');
  }
  const headers = columns.map((c) => c.toUpperCase());
  let widths: number[] | undefined;
  let count = 0;
  let first = true;
  if (ctx.json) {
    ctx.jsonWritten = true;
    ctx.out('{\n  "Resources": [');
  }
  const write = (page: ListPage) => {
    if (ctx.json) {
      if (!page.resources.length) return;
      const items = page.resources.map((r) => `    ${JSON.stringify(r, null, 2).replace(/\n/g, '\n    ')}`);
      ctx.out(`${first ? '\n' : ',\n'}${items.join(',\n')}`);
      first = false;
      return;
    }
    const mask = ctx.mask ?? ((t: string) => t);
    const cells = tableCells(headers, page.resources.map((r) => columns.map((c) => mask(attr(r, c)))));
    if (!widths) {
      widths = tableWidths(headers, cells);
      ctx.out(`${tableLine(headers, widths)}\n`);
    }
    if (cells.length) ctx.out(`${cells.map((r) => tableLine(r, widths as number[])).join('\n')}\n`);
  };
  let next: ListPage['next'];
  try {
    next = await client.run(`List all ${endpoint}`, { signal: ctx.signal, title: `list ${endpoint} (all)` }, async (call) => {
      let pages = 0;
      for await (const page of client.pages(call, endpoint, opts)) {
        pages += 1;
        count += page.resources.length;
        write(page);
        ctx.progress(`${endpoint}: ${count}${page.totalResults !== undefined ? ` of ${page.totalResults}` : ''}`);
        if (pages >= maxPages && page.next) return page.next;
      }
      return undefined;
    }, () => `${count} resources`);
  } catch (e) {
    if (ctx.json) {
      const err = e instanceof ScimxError ? e : new ScimxError('response', String(e));
      ctx.out(`${first ? '' : '\n  '}],\n  "totalResults": ${count},\n  "incomplete": true,\n  "error": ${JSON.stringify({ code: err.code, message: err.message })}\n}\n`);
    }
    throw e;
  } finally {
    ctx.progress(undefined);
  }
  if (ctx.json) {
    ctx.out(`${first ? '' : '\n  '}],\n  "totalResults": ${count}${next ? `,\n  "next": ${JSON.stringify(next)}` : ''}\n}\n`);
  } else {
    if (!widths) ctx.out(`${tableLine(headers, tableWidths(headers, []))}\n`);
    ctx.out(`${count} ${endpoint}\n`);
  }
  if (next) {
    const how = next.cursor !== undefined ? `--cursor '${next.cursor.replace(/'/g, `'\\''`)}'` : `--start-index ${next.startIndex}`;
    ctx.err(`scimx: stopped after ${maxPages} page(s) (${count} ${endpoint}), the --max-pages limit of list --all; `
      + `continue with: --all ${how}\n`);
    return rawMax === undefined ? 1 : 0;
  }
  return 0;
}
