// The contract of the request pipeline (implemented in ./pipeline.ts).
import type { Exchange, Operation } from '../trace';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

export interface RequestSpec {
  method: HttpMethod;
  /** A path relative to the profile's baseUrl (`Users`, `/Groups/1`), or an absolute URL. */
  url: string;
  /** The URL came from the server (meta.location, $ref, next link): the location policy applies. */
  fromServer?: boolean;
  query?: Record<string, string | number | boolean | undefined>;
  /** Per-request headers (e.g. If-Match). They cannot remove the profile's headers. */
  headers?: Record<string, string>;
  /** JSON body; sent as `application/scim+json`. */
  body?: unknown;
  signal?: AbortSignal;
  /** Retry on 429/502/503/504 and connection resets. Default: true for GET/HEAD/OPTIONS, false otherwise:
   * writes are never re-sent blindly (the caller re-reads and reconciles). */
  retry?: boolean;
}

export interface HttpResponse {
  status: number;
  /** Lower-cased names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  text: string;
  /** Parsed body when it is JSON, otherwise undefined. */
  json: unknown;
  /** Final URL (after the location policy and redirects), query secrets masked. */
  url: string;
  /** The last exchange of this request (after retries and redirects). */
  exchange: Exchange;
  /** Bytes written and read on the wire for this request, all attempts and hops included. */
  bytesSent: number;
  bytesReceived: number;
}

export interface WaitNotice {
  operation: Operation;
  /** ms to wait before the next attempt. */
  ms: number;
  /** Epoch ms when the wait ends (for a countdown). */
  until: number;
  /** e.g. `429 Retry-After`, `503`, `connection dropped`. */
  reason: string;
  /** The signal the request was sent with, if any: lets a UI find the progress it already shows for it. */
  signal?: AbortSignal;
  /** Ends the wait now: the request fails as cancelled (nothing more is sent). */
  cancel(): void;
}

/** Requests and the bytes they wrote and read on the wire, summed: over a pipeline's life (`Pipeline.stats`)
 * or over one call of the SCIM client. */
export interface Meter {
  requests: number;
  bytesSent: number;
  bytesReceived: number;
}
