// Retries: a retryable request (reads, unless the caller says otherwise) is sent again after a 429/502/503/504
// or a dropped connection, up to maxRetries, after the wait the answer asks for (Retry-After) or a backoff.
// The policy (what is retryable, how long to wait) is ../retry.ts; why not undici's own retry handler is said
// there too. Each attempt is its own exchange, with a fresh location decision, token and timeout.
import { HttpStatusError } from '../../errors';
import type { Interceptor, PipelineContext } from '../chain';
import { finalError, isTransient } from '../classify';
import { announcedSleep, backoffMs, formatWait, isReadMethod, parseRetryAfter, RETRY_STATUSES } from '../retry';

export function retry(ctx: PipelineContext): Interceptor {
  const { settings, recorder, masker } = ctx;
  return (next) => async (req) => {
    const { hop, spec, operation } = req;
    const retryable = spec.retry ?? isReadMethod(hop.method);
    const maxRetryAfter = settings.maxRetryAfterMs;
    let attempt = 1;
    let retryOf: string | undefined;
    let waited: number | undefined;
    let sentTotal = 0;
    let receivedTotal = 0;
    for (;;) {
      const r = await next({ ...req, attempt, retryOf, waited });
      sentTotal += r.bytesSent;
      receivedTotal += r.bytesReceived;

      if (r.error?.code === 'cancelled') throw r.error;
      const canRetry = retryable && attempt <= settings.maxRetries;
      let waitMs: number;
      let reason: string;
      if (r.error) {
        if (!canRetry || !isTransient(r.error)) throw recorder.failOn(r.exchange, finalError(hop.method, r.sent, r.error));
        waitMs = backoffMs(attempt);
        reason = r.error.code === 'timeout' ? 'timeout' : 'connection dropped';
      } else {
        const status = r.status ?? 0;
        if (!RETRY_STATUSES.includes(status) || !canRetry) return { ...r, bytesSent: sentTotal, bytesReceived: receivedTotal };
        const ra = parseRetryAfter(r.headers?.['retry-after'], settings.clock.now());
        if (ra !== undefined && ra > maxRetryAfter) {
          const who = r.exchange.response?.answeredBy === 'backend' ? 'The server' : 'The gateway';
          throw recorder.failOn(r.exchange, new HttpStatusError('http', status,
            `${who} answered ${status} to ${hop.method} ${masker.url(hop.url)} and asked to wait ${formatWait(ra)} (Retry-After: ${r.headers?.['retry-after'] ?? ''}), longer than the ${formatWait(maxRetryAfter)} limit; try again later.`,
            { hint: 'Wait and try again, or raise the rate limit or quota on the gateway.' }));
        }
        waitMs = ra ?? backoffMs(attempt);
        reason = `${status}${ra !== undefined ? ' Retry-After' : ''}`;
      }
      // Whoever shows the wait may cancel it (a countdown's Cancel button): the request then fails as cancelled.
      settings.trace.updateOperation(operation, { progress: `waiting ${formatWait(waitMs)} (${reason})` });
      try {
        await announcedSleep(settings.onWait, { operation, ms: waitMs, reason, signal: spec.signal }, settings.clock);
      } finally {
        settings.trace.updateOperation(operation, { progress: undefined });
      }
      retryOf = r.exchange.id;
      waited = waitMs;
      attempt += 1;
    }
  };
}
