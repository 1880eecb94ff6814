// HAR 1.2 export of traced operations (http://www.softwareishard.com/blog/har-12-spec/), typed with
// @types/har-format. One page per operation; one entry per exchange (each retry and redirect hop is its own
// entry). Built from the trace, which holds masked values only, so the HAR is masked too.
// Extras that HAR has no field for go in `_`-prefixed custom fields (allowed by the spec).
import type { Entry, Har, Header, Page, QueryString } from 'har-format';
import type { Exchange, HeaderList, Operation } from '../trace';

export interface HarMeta {
  creator?: { name: string; version: string; comment?: string };
}

export const DEFAULT_CREATOR = { name: 'scim-explorer', version: '0.1.0' };

function headers(list: HeaderList): Header[] {
  return list.map(([name, value]) => ({ name, value }));
}

function queryString(url: string): QueryString[] {
  const q = url.indexOf('?');
  if (q < 0) return [];
  const hash = url.indexOf('#', q);
  const search = url.slice(q + 1, hash < 0 ? undefined : hash);
  const dec = (s: string): string => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      return s;
    }
  };
  return search
    .split('&')
    .filter((p) => p.length > 0)
    .map((p) => {
      const eq = p.indexOf('=');
      return eq < 0 ? { name: dec(p), value: '' } : { name: dec(p.slice(0, eq)), value: dec(p.slice(eq + 1)) };
    });
}

function headerValue(list: HeaderList, name: string): string | undefined {
  const n = name.toLowerCase();
  return list.find(([k]) => k.toLowerCase() === n)?.[1];
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function entry(op: Operation, ex: Exchange): Entry {
  const t = ex.timings;
  const sent = t.sent ?? 0;
  const gotHeaders = t.headers ?? t.end ?? sent;
  const end = t.end ?? gotHeaders;
  const timings = {
    blocked: t.sent !== undefined ? sent : -1, // queueing and connecting, until the head was written
    dns: -1,
    connect: -1,
    send: 0,
    wait: Math.max(0, gotHeaders - sent),
    receive: Math.max(0, end - gotHeaders),
    ssl: -1,
  };
  const req = ex.request;
  const res = ex.response;
  const reqType = headerValue(req.headers, 'content-type') ?? 'application/octet-stream';
  const resType = res ? headerValue(res.headers, 'content-type') ?? '' : '';
  const e: Entry = {
    pageref: op.id,
    startedDateTime: iso(t.start),
    time: Math.max(0, sent) + timings.wait + timings.receive,
    request: {
      method: req.method,
      url: req.url,
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: headers(req.headers),
      queryString: queryString(req.url),
      headersSize: -1,
      bodySize: req.bodySize,
      ...(req.body !== undefined ? { postData: { mimeType: reqType, text: req.body } } : {}),
    },
    response: res
      ? {
          status: res.status,
          statusText: res.statusText,
          httpVersion: 'HTTP/1.1',
          cookies: [],
          headers: headers(res.headers),
          content: {
            size: res.bodySize,
            mimeType: resType,
            ...(res.body !== undefined ? { text: res.body } : {}),
            ...(ex.bodiesDropped && res.bodySize > 0 ? { comment: 'body no longer in the trace (its body budget keeps the newest)' }
              : res.truncated ? { comment: `truncated to ${res.body?.length ?? 0} characters of ${res.bodySize} bytes` } : {}),
          },
          redirectURL: headerValue(res.headers, 'location') ?? '',
          headersSize: -1,
          bodySize: res.bodySize,
        }
      : {
          // No answer (connection refused, timeout, cancelled): HAR's convention for a failed request.
          status: 0,
          statusText: '',
          httpVersion: 'HTTP/1.1',
          cookies: [],
          headers: [],
          content: { size: 0, mimeType: '' },
          redirectURL: '',
          headersSize: -1,
          bodySize: -1,
          ...(ex.error ? { comment: ex.error.message } : {}),
        },
    cache: {},
    timings,
    _exchangeId: ex.id,
    _requestLine: req.line,
    _headersFromWire: req.wire,
    _attempt: ex.attempt,
    _keySentAs: ex.keySentAs,
    ...(ex.retryOf ? { _retryOf: ex.retryOf } : {}),
    ...(ex.redirectOf ? { _redirectOf: ex.redirectOf } : {}),
    ...(t.waited !== undefined ? { _waited: t.waited } : {}),
    ...(ex.location ? { _location: ex.location } : {}),
    ...(ex.warnings.length ? { _warnings: ex.warnings } : {}),
    ...(ex.error ? { _error: ex.error } : {}),
    ...(res ? { _answeredBy: res.answeredBy } : {}),
  };
  return e;
}

/** HAR 1.2 of the given operations: one page per operation, one entry per exchange, masked. */
export function toHar(operations: Operation[], meta: HarMeta = {}): Har {
  const pages: Page[] = operations.map((op) => ({
    startedDateTime: iso(op.startedAt),
    id: op.id,
    title: op.title,
    pageTimings: {},
    ...(op.summary ? { comment: op.summary } : {}),
    _profile: op.profile,
    _state: op.state,
  }));
  const entries = operations.flatMap((op) => op.exchanges.map((ex) => entry(op, ex)));
  entries.sort((a, b) => a.startedDateTime.localeCompare(b.startedDateTime));
  return {
    log: {
      version: '1.2',
      creator: meta.creator ?? DEFAULT_CREATOR,
      pages,
      entries,
    },
  };
}
