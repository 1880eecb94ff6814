// Who answered: the gateway itself (APIM's own error body), the SCIM service behind it, or unknown. Read from
// the answer alone; the pipeline records it on every exchange and ../diagnosis.ts builds on the same checks.
import type { ExchangeResponse, HeaderList } from '../trace';
import { parseJsonObject } from './body';

/** APIM's own error body. */
export interface GatewayErrorBody {
  statusCode: number;
  message: string;
}

/**
 * The one APIM error-body check. APIM answers `{ "statusCode": 401, "message": "Access denied due to ..." }`:
 * `gateway`. The same shape with an `error` string is a web framework's (NestJS writes
 * `{statusCode, message, error}`), written by the service behind: `framework`. Anything else: undefined.
 */
function statusMessageShape(json: unknown): 'gateway' | 'framework' | undefined {
  if (!json || typeof json !== 'object') return undefined;
  const o = json as Record<string, unknown>;
  if (typeof o.statusCode !== 'number' || typeof o.message !== 'string' || 'schemas' in o) return undefined;
  return typeof o.error === 'string' ? 'framework' : 'gateway';
}

/** APIM's own error body `{statusCode, message}`, or undefined (a NestJS `{statusCode, message, error}` is the
 * service's, not APIM's). */
export function asGatewayError(json: unknown): GatewayErrorBody | undefined {
  if (statusMessageShape(json) !== 'gateway') return undefined;
  const o = json as { statusCode: number; message: string };
  return { statusCode: o.statusCode, message: o.message };
}

/** An HTML page, by its content type or its first tag. */
export function looksLikeHtml(text: string | undefined, contentType?: string): boolean {
  if (contentType && /text\/html/i.test(contentType)) return true;
  return !!text && /^\s*(<!doctype html|<html|<head|<body)/i.test(text);
}

/** Who answered, and what that was read from. */
export interface WhoAnswered {
  by: ExchangeResponse['answeredBy'];
  why: string;
}

/**
 * Who answered, from the answer itself. The gateway: APIM's own errors are JSON with exactly `statusCode` and
 * `message`. The SCIM service behind it: SCIM JSON (`schemas`, or the SCIM content type), or what only the
 * service's own web framework writes and a gateway forwards as is: an `X-Powered-By` (or ASP.NET version)
 * header, Express's `Cannot GET /path` page or its error page, NestJS's `{statusCode, message, error}`. Anything
 * else is unknown, and `why` says so (an empty 404 may be the service or something in front of it).
 */
export function whoAnswered(headers: HeaderList | Record<string, string>, text: string, parsed?: { json: unknown }): WhoAnswered {
  const list: HeaderList = Array.isArray(headers) ? headers : Object.entries(headers);
  const header = (name: string): string | undefined => list.find(([k]) => k.toLowerCase() === name)?.[1];
  const contentType = header('content-type');
  const j = parsed ? parsed.json : parseJsonObject(text);
  if (j && typeof j === 'object' && !Array.isArray(j)) {
    const o = j as Record<string, unknown>;
    const shape = statusMessageShape(o);
    if (shape === 'framework') return { by: 'backend', why: 'a web framework\'s error body {statusCode, message, error} (NestJS style), not APIM\'s' };
    if (shape === 'gateway') {
      const keys = Object.keys(o);
      return { by: 'gateway', why: keys.length === 2 ? "APIM's own error body {statusCode, message}" : `APIM's error shape {statusCode, message} (with ${keys.filter((k) => k !== 'statusCode' && k !== 'message').slice(0, 3).join(', ')})` };
    }
    if (Array.isArray(o.schemas)) return { by: 'backend', why: 'SCIM JSON (schemas)' };
  }
  if (contentType && /application\/scim\+json/i.test(contentType)) return { by: 'backend', why: 'the SCIM content type' };
  const poweredBy = header('x-powered-by') ?? (header('x-aspnet-version') !== undefined ? 'ASP.NET' : undefined);
  if (poweredBy !== undefined) return { by: 'backend', why: `X-Powered-By: ${poweredBy.slice(0, 40)} (written by the service's framework; the gateway forwarded it)` };
  if (looksLikeHtml(text, contentType)) {
    const cannot = /<pre>\s*Cannot (GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) [^<]{0,300}<\/pre>/i.exec(text);
    if (cannot) return { by: 'backend', why: `Express's "Cannot ${cannot[1]} …" page: the service's own router found no route` };
    if (/<title>Error<\/title>/i.test(text) && /<pre>[^<]{0,500}<\/pre>/i.test(text) && /default-src 'none'/i.test(header('content-security-policy') ?? '')) {
      return { by: 'backend', why: "Express's error page: the service's own framework answered" };
    }
    return { by: 'unknown', why: 'an HTML page with no sign of who wrote it (the gateway, something in front of it, or the service)' };
  }
  if (!text.trim()) return { by: 'unknown', why: 'an empty body: not APIM\'s own error body, but nothing says who answered' };
  return { by: 'unknown', why: 'neither APIM\'s error body nor SCIM JSON' };
}

/** Who answered (see whoAnswered), without the reason. */
export function answeredBy(contentType: string | undefined, text: string, parsed?: { json: unknown }): ExchangeResponse['answeredBy'] {
  return whoAnswered(contentType ? [['content-type', contentType]] : [], text, parsed).by;
}
