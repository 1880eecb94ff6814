// One wire attempt: one undici request with its own timeout and the caller's cancellation, the answer read
// (capped), a failure classified, and the exchange recorded from what went on the wire.
import type { Dispatcher } from 'undici';
import type { ScimxError } from '../errors';
import type { Profile } from '../profile';
import type { HeaderList } from '../trace';
import { flattenHeaders, readCapped, readJsonObject } from './body';
import type { AttemptInput, AttemptResult } from './chain';
import { classifyFailure, type AbortReason } from './classify';
import type { Masker } from './mask';
import type { ExchangeRecorder } from './recorder';
import { recordAttempt, WireRecord } from './wire';
import { whoAnswered } from './who-answered';

/** Methods for which undici writes `content-length: 0` when there is no body. */
const EXPECTS_PAYLOAD = new Set(['POST', 'PUT', 'PATCH']);

export interface AttemptDeps {
  profile: Profile;
  masker: Masker;
  recorder: ExchangeRecorder;
  dispatcher(): Dispatcher;
  /** Largest answer body read, in bytes. */
  maxResponseBytes: number;
}

export async function wireAttempt(input: AttemptInput, deps: AttemptDeps): Promise<AttemptResult> {
  const { operation, method, url, headers, body, signal } = input;
  const { profile, masker, recorder } = deps;
  const u = new URL(url);
  const path = `${u.pathname}${u.search}`;
  const handedHeaders: HeaderList = headers.map(([n, v]) => [n, v]);
  const start = Date.now();
  const exchange = recorder.open({
    operation, method, url, target: path, https: u.protocol === 'https:', headers: handedHeaders, body, start, init: input.init,
  });

  const controller = new AbortController();
  const timeoutMs = profile.timeoutMs;
  let why: AbortReason | undefined;
  const timer = setTimeout(() => {
    why = 'timeout';
    controller.abort(new Error('timeout'));
  }, timeoutMs);
  const onAbort = (): void => {
    why ??= 'cancelled';
    controller.abort(new Error('cancelled'));
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });

  const rec = new WireRecord();
  const flat: string[] = [];
  for (const [n, v] of headers) flat.push(n, v);
  let status: number | undefined;
  let resHeaders: Record<string, string> | undefined;
  let resBody: Buffer | undefined;
  let error: ScimxError | undefined;
  try {
    const res = await recordAttempt(rec, () => deps.dispatcher().request({
      origin: u.origin, path, method, headers: flat, body: body ?? null, signal: controller.signal,
    }));
    status = res.statusCode;
    resHeaders = flattenHeaders(res.headers);
    resBody = await readCapped(res.body, Number(resHeaders['content-length'] ?? NaN), deps.maxResponseBytes, () => `${method} ${masker.url(url)}`);
  } catch (e) {
    error = classifyFailure(e, why, { method, url, timeoutMs }, profile, masker);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }

  // ---- fill the exchange from what went on the wire ----
  const end = Date.now();
  let bytesSent = 0;
  if (rec.head !== undefined && rec.headers && rec.line !== undefined) {
    const wireHeaders: HeaderList = rec.headers.map(([n, v]) => [n, v]);
    // undici writes content-length right after the head it publishes: add it as it will have been written.
    const len = body?.length ?? 0;
    let lengthLine = '';
    let computed: number[] | undefined;
    if (len > 0 || EXPECTS_PAYLOAD.has(method)) {
      wireHeaders.push(['content-length', String(len)]);
      computed = [wireHeaders.length - 1];
      lengthLine = `content-length: ${len}\r\n`;
    }
    recorder.written(exchange, { line: rec.line, headers: wireHeaders, computed, sentAt: rec.sentAt ?? end }, start);
    bytesSent = Buffer.byteLength(rec.head, 'latin1') + Buffer.byteLength(lengthLine, 'latin1') + 2 + len;
  } else {
    recorder.notWritten(exchange, handedHeaders);
  }

  let bytesReceived = 0;
  let text: string | undefined;
  let parsed: unknown;
  let tooDeep: number | undefined;
  if (status !== undefined) {
    const raw: HeaderList = rec.responseHeaders ?? Object.entries(resHeaders ?? {});
    text = (resBody ?? Buffer.alloc(0)).toString('utf8');
    ({ parsed, tooDeep } = readJsonObject(text));
    const who = whoAnswered(raw, text, { json: parsed });
    recorder.answered(exchange, {
      status, statusText: rec.statusText ?? '', headers: raw, text, bodySize: resBody?.length ?? 0, who, headersAt: rec.headersAt ?? end,
    }, start);
    const head = `HTTP/1.1 ${status} ${rec.statusText ?? ''}\r\n${raw.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;
    const computedBytes = Buffer.byteLength(head, 'latin1') + (resBody?.length ?? 0);
    bytesReceived = rec.bytesRead !== undefined && rec.bytesRead >= computedBytes ? rec.bytesRead : computedBytes;
  } else if (rec.bytesRead) {
    bytesReceived = rec.bytesRead;
  }
  recorder.finish(exchange, end, start, error);
  if (error) error = Object.assign(error, { exchangeId: exchange.id });
  return {
    exchange, status, headers: resHeaders, body: resBody, error,
    sent: rec.head !== undefined, bytesSent, bytesReceived, text, parsed, tooDeep,
  };
}
