// Paging a listing: one page (cursor or index, never more than the service returns in one), and every page of a
// listing, by cursor or by index (up to `profile.concurrency` pages at once), refusing endless paging.
import { ScimxError } from '../../errors';
import type { RequestSpec } from '../../http/types';
import type { Profile } from '../../profile';
import { validateFilter } from '../filter';
import { parseListResponse } from '../list-response';
import { trimSlash } from '../paths';
import type { Call } from '../port';
import type { Capabilities, ListOptions, ListPage } from '../types';
import type { ServiceDiscovery } from './discovery';
import type { ScimTransport } from './transport';

const MAX_PAGES = 100_000;

/** The page size to ask for: what the caller wants, never more than the service says it returns. */
export function pageCount(wanted: number, caps: Capabilities | undefined): number {
  let count = wanted;
  for (const cap of [caps?.maxResults, caps?.maxPageSize]) if (cap !== undefined && cap > 0) count = Math.min(count, cap);
  return count;
}

export class Pager {
  constructor(private readonly profile: Profile, private readonly transport: ScimTransport, private readonly discovery: ServiceDiscovery) {}

  /** One page. With the service's capabilities known (every face discovers first): the first page of a
   * provider that pages only by cursor is asked with `cursor=` (RFC 9865), and `count` never exceeds what the
   * service says it returns (`filter.maxResults`, `pagination.maxPageSize`). The page's `next` carries the
   * server's cursor whenever it answered with one. */
  async listPageIn(call: Call, endpoint: string, opts: ListOptions, send: Pick<RequestSpec, 'retry'> = {}): Promise<ListPage> {
    if (opts.filter) validateFilter(opts.filter);
    const caps = (await this.discovery.known()?.catch(() => undefined))?.capabilities;
    const query: Record<string, string | number | undefined> = {
      filter: opts.filter,
      attributes: opts.attributes?.join(','),
      excludedAttributes: opts.excludedAttributes?.join(','),
      count: pageCount(opts.count ?? this.profile.pageSize, caps),
    };
    if (opts.cursor !== undefined) query.cursor = opts.cursor;
    else if (opts.startIndex === undefined && caps?.cursor && !caps.index) query.cursor = '';
    else query.startIndex = opts.startIndex ?? 1;
    if (!opts.attributes && !opts.excludedAttributes && (await this.discovery.isGroupsEndpoint(endpoint))) {
      query.excludedAttributes = 'members';
    }
    const spec: RequestSpec = { method: 'GET', url: trimSlash(endpoint), query, ...send };
    const { res, body } = await this.transport.requestJson(call, spec);
    return parseListResponse(body, { requested: query, exchangeId: res.exchange.id });
  }

  /** Pages of a listing. With index paging and a known total, fetches up to `profile.concurrency`
   * pages at once, yielding them in order; by cursor when the provider pages by cursor (declared, or
   * answered with a nextCursor). */
  async *pages(call: Call, endpoint: string, opts: ListOptions): AsyncGenerator<ListPage> {
    // the capabilities decide how listPageIn pages (cursor or index) and how much it asks for
    await this.discovery.discover({ operation: call.operation, signal: call.signal }).catch(() => undefined);
    const first = await this.listPageIn(call, endpoint, opts);
    yield first;
    if (!first.next) return;
    if (first.next.cursor !== undefined) {
      yield* this.cursorPages(call, endpoint, opts, first.next.cursor);
      return;
    }

    // Index paging. The page size is what the server actually returned (servers may cap `count`).
    const size = first.resources.length;
    const total = first.totalResults;
    let start = first.next.startIndex ?? (first.startIndex ?? 1) + size;
    const concurrency = Math.max(1, this.profile.concurrency);
    if (!Number.isSafeInteger(start)) throw didNotAdvance(start);
    if (total !== undefined && concurrency > 1 && size > 0) {
      // The plan is made as it goes, `concurrency` pages ahead, and every index in it is a safe integer
      // larger than the one before: near 2^53, `s + size === s` would plan one index forever (issue 10).
      const queue: Array<[number, Promise<ListPage>]> = [];
      let planned = start;
      let launched = 0;
      let stuck: number | undefined;
      const launch = () => {
        while (queue.length < concurrency && stuck === undefined && planned <= total && launched < MAX_PAGES) {
          const s = planned;
          const p = this.listPageIn(call, endpoint, { ...opts, startIndex: s });
          p.catch(() => undefined); // awaited in order below
          queue.push([s, p]);
          launched += 1;
          const following = s + size;
          if (following > total && following > s) planned = following;
          else if (!Number.isSafeInteger(following) || following <= s) stuck = following;
          else planned = following;
        }
      };
      const drop = () => {
        for (const [, rest] of queue) rest.catch(() => undefined);
        queue.length = 0;
      };
      let prevPage = first;
      for (;;) {
        launch();
        const head = queue.shift();
        if (!head) {
          if (stuck !== undefined) throw didNotAdvance(stuck);
          if (launched >= MAX_PAGES && planned <= total) throw new ScimxError('response', `More than ${MAX_PAGES} pages; stopped.`);
          return;
        }
        const [s, pending] = head;
        const page = await pending;
        // the same resources again: the server ignores startIndex (one that only echoes a wrong startIndex
        // but pages correctly is paged on)
        if (repeatsPage(prevPage, page)) {
          drop();
          throw notAdvancing(s, page);
        }
        prevPage = page;
        yield page;
        const lastEnd = s + page.resources.length - 1;
        if (page.resources.length < size) {
          // The server returned a short page: fall back to sequential paging from there.
          start = lastEnd + 1;
          drop();
          if (page.resources.length === 0 || lastEnd >= total) return;
          yield* this.sequentialPages(call, endpoint, opts, start, total, page);
          return;
        }
      }
    }
    yield* this.sequentialPages(call, endpoint, opts, start, total, first);
  }

  /** Pages after the first by the server's cursors; refuses a cursor the server repeats. */
  private async *cursorPages(call: Call, endpoint: string, opts: ListOptions, cursor: string): AsyncGenerator<ListPage> {
    const seen = new Set<string>();
    let next: string | undefined = cursor;
    for (let n = 1; next !== undefined; n++) {
      if (seen.has(next)) throw new ScimxError('response', `The server repeated cursor "${next.slice(0, 40)}" after ${n} pages; stopped to avoid endless paging.`);
      if (n > MAX_PAGES) throw new ScimxError('response', `More than ${MAX_PAGES} pages; stopped.`);
      seen.add(next);
      const page = await this.listPageIn(call, endpoint, { ...opts, cursor: next, startIndex: undefined });
      yield page;
      next = page.next?.cursor;
    }
  }

  private async *sequentialPages(call: Call, endpoint: string, opts: ListOptions, start: number, total: number | undefined, before?: ListPage): AsyncGenerator<ListPage> {
    let prev = -1;
    let last = before;
    for (let n = 0; ; n++) {
      if (start <= prev || !Number.isSafeInteger(start)) throw didNotAdvance(start);
      if (n > MAX_PAGES) throw new ScimxError('response', `More than ${MAX_PAGES} pages; stopped.`);
      prev = start;
      const page = await this.listPageIn(call, endpoint, { ...opts, startIndex: start, cursor: undefined });
      if (repeatsPage(last, page)) throw notAdvancing(start, page);
      last = page;
      yield page;
      if (page.next?.cursor !== undefined) {
        yield* this.cursorPages(call, endpoint, opts, page.next.cursor);
        return;
      }
      if (!page.next?.startIndex || page.resources.length === 0) return;
      if (total !== undefined && page.next.startIndex > total) return;
      start = page.next.startIndex;
    }
  }
}

/** The same resources as the page before: a server that ignores startIndex would be paged forever. */
function repeatsPage(prev: ListPage | undefined, page: ListPage): boolean {
  const a = prev?.resources;
  const b = page.resources;
  return !!a && a.length > 0 && a.length === b.length && a[0]!.id === b[0]!.id && a[a.length - 1]!.id === b[b.length - 1]!.id;
}

/** A plan whose next index is not above the last one (or past 2^53, where `+ 1` stops adding). */
function didNotAdvance(start: number): ScimxError {
  return new ScimxError('response', `The server's startIndex did not advance (${start}); stopped to avoid endless paging.`);
}

function notAdvancing(asked: number, page: ListPage): ScimxError {
  const got = page.startIndex !== undefined && page.startIndex !== asked ? `answered startIndex ${page.startIndex}` : 'answered the same page again';
  return new ScimxError('response', `Asked for startIndex ${asked}, the server ${got}: its startIndex did not advance; stopped to avoid endless paging.`);
}
