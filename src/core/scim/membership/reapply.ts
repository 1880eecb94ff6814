// Re-applying a write whose outcome is unknown (reset, timeout, 5xx, 429) or refused by a precondition (412):
// how many rounds, how long to wait (the pipeline's Retry-After parser and backoff), and the wait itself.
import type { Clock } from '../../clock';
import { HttpStatusError, ScimxError } from '../../errors';
import { announcedSleep, backoffMs, formatWait, parseRetryAfter } from '../../http/retry';
import type { ScimPort } from '../port';
import type { GroupTarget } from './target';

/** Rounds of re-read and re-apply after an unknown outcome or a 412. */
export const MAX_ROUNDS = 4;

/** After a 429 no PATCH part starts a request before the time the gateway asked for (the limit is shared). */
export async function untilGate(gate: { until: number }, clock: Clock, signal?: AbortSignal): Promise<void> {
  const wait = gate.until - clock.now();
  if (wait > 0) await clock.sleep(wait, signal);
}

/** The request may or may not have been applied: connection lost, timeout, 5xx, or a 429 (never applied,
 * but handled the same way, safely). */
export function isUnknownOutcome(err: ScimxError): boolean {
  if (err.code === 'network' || err.code === 'timeout') return true;
  if (err instanceof HttpStatusError) return err.status === 429 || err.status >= 500;
  return false;
}

/** How long to wait before re-applying after `err`: the Retry-After it carried (delta-seconds or an HTTP date,
 * the pipeline's own parser), else the pipeline's backoff. A Retry-After beyond the pipeline's limit fails at
 * once, with the same message a GET gets: one Retry-After policy for every path. */
export function waitBeforeReapply(client: ScimPort, err: ScimxError, round: number): number {
  const ex = err.exchangeId ? client.trace.findExchange(err.exchangeId) : undefined;
  const header = ex?.response?.headers.find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
  const asked = parseRetryAfter(header, client.pipeline.clock.now());
  const limit = client.pipeline.maxRetryAfterMs;
  if (asked !== undefined && asked > limit) {
    const status = err instanceof HttpStatusError ? err.status : 'an error';
    throw new ScimxError(err.code, `${err.message}: the ${status} asked to wait ${formatWait(asked)} (Retry-After: ${header ?? ''}), longer than the ${formatWait(limit)} limit, so nothing more was sent; try again later.`, { diagnosis: err.diagnosis, exchangeId: err.exchangeId });
  }
  return asked ?? backoffMs(round);
}

export async function pause(t: GroupTarget, err: ScimxError, ms: number): Promise<void> {
  // Cancellable by whoever shows the wait (a countdown's Cancel), like the pipeline's own waits.
  const { client, call } = t;
  client.trace.updateOperation(call.operation, { progress: `waiting ${Math.ceil(ms / 1000)} s before re-applying` });
  await announcedSleep(client.options.onWait, { operation: call.operation, ms, reason: `re-applying after: ${err.message}`, signal: call.signal }, client.pipeline.clock);
}
