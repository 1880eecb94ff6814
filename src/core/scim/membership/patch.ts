// The PATCH path: `add` on `members` with a value array, `remove` with `members[value eq "id"]` (never a bare
// `remove` of `members` nor a `replace` of `members`), split to the provider's limits. Independent parts go out
// `profile.concurrency` at a time, except with If-Match (each write changes the version) and for Google (one
// member a request, kept sequential). A part whose outcome is unknown, or that got a 409 or 412, is re-read and
// only what is still missing is sent again.
import { HttpStatusError, ScimxError, toScimxError } from '../../errors';
import type { ProviderKind } from '../../profile';
import { resourcePath } from '../paths';
import type { MembershipChange, ScimResource } from '../types';
import { collateralBetween } from './after';
import { patchBodies, patchLimits, writeProjection } from './bodies';
import { eachBounded } from './concurrency';
import { lossError } from './failure';
import { presentAmong } from './presence';
import { isUnknownOutcome, MAX_ROUNDS, pause, untilGate, waitBeforeReapply } from './reapply';
import type { Change, Snapshot } from './target';

/** The service or the gateway says PATCH is not offered here (in `auto`, the change falls back to PUT). */
export function isPatchRefused(err: ScimxError): boolean {
  if (!(err instanceof HttpStatusError)) return false;
  if (err.status === 501 || err.status === 405) return true;
  // APIM answers 404 "Resource not found" for a method the API does not define.
  return err.code === 'gateway' && err.status === 404;
}

/** Sends `todo` as PATCH parts, `limit` at a time, re-applying after unknown outcomes; checks the members the
 * change does not name between batches. True when parts went out in parallel. */
export async function writeByPatch(c: Change, todo: MembershipChange, snap: Snapshot, limit = patchConcurrency(c.client.profile.provider, c.client.profile.concurrency, c.etags)): Promise<boolean> {
  const { client, call, groups, groupId, etags, nested, progress } = c;
  const limits = patchLimits(client.profile.provider, client.profile.maxOperationsPerPatch);
  const bodies = patchBodies(todo, limits);
  let done = 0;
  let version: string | undefined;
  /** After a 429 no part starts a request before the time the gateway asked for (the limit is shared). */
  const gate = { until: 0 };
  const sendPart = async ({ part, i }: { part: (typeof bodies)[number]; i: number }): Promise<void> => {
    progress(done, `PATCH ${i + 1} of ${bodies.length}: ${part.kind} ${part.ids.length}`);
    let ids = part.ids;
    for (let round = 1; ; round++) {
      await untilGate(gate, client.pipeline.clock, call.signal);
      if (etags && !version) version = (await client.getIn(call, groups, groupId, { excludedAttributes: ['members'] })).etag;
      const body = part.kind === 'add' ? patchBodies({ add: ids, remove: [] }, limits)[0]!.body : patchBodies({ add: [], remove: ids }, { adds: 1, removes: ids.length })[0]!.body;
      try {
        // No `attributes` / `excludedAttributes` on a write: some servers (SCIMMY) apply them to the resource
        // before patching it, and the group loses every member the projection left out.
        const res = await client.request(call, {
          method: 'PATCH',
          url: resourcePath(groups, groupId),
          ...writeProjection(client),
          headers: etags && version ? { 'If-Match': version } : undefined,
          body,
        });
        version = res.headers.etag ?? (res.json as ScimResource | undefined)?.meta?.version;
        break;
      } catch (e) {
        const err = toScimxError(e);
        if (err.code === 'cancelled' || isPatchRefused(err)) throw err;
        const status = err instanceof HttpStatusError ? err.status : undefined;
        if (status === 412 || status === 409) {
          // 412: someone else changed the group: read the new version, re-apply. 409: a member of this part
          // already exists, or the group was being changed at the same time: which of the part's ids are in
          // effect is re-read below, and only the others are sent again.
          version = undefined;
        } else if (!isUnknownOutcome(err)) {
          throw err;
        }
        if (round >= MAX_ROUNDS) throw new ScimxError(err.code, `${err.message} (gave up after ${round} attempts)`, { diagnosis: err.diagnosis, exchangeId: err.exchangeId });
        const ms = waitBeforeReapply(client, err, round);
        if (status === 429) gate.until = Math.max(gate.until, client.pipeline.clock.now() + ms);
        // Re-read what is in effect, and send again only what is still missing (this part's ids only: the
        // other parts are independent requests with outcomes of their own). The read is told what to expect
        // (a 429 was not processed; a lost answer most likely was), which keeps group-filter checks to one
        // request a part when the expectation holds.
        const applied = status !== 429;
        const expected = (part.kind === 'add') === applied ? ids : part.kind === 'remove' ? ids.filter((id) => nested.has(id)) : [];
        const present = await presentAmong(c, ids, expected);
        ids = part.kind === 'add' ? ids.filter((id) => !present.has(id)) : ids.filter((id) => present.has(id));
        if (!ids.length) break;
        await pause(c, err, ms);
      }
    }
    done += part.ids.length;
  };
  const parallel = limit > 1 && bodies.length > 1;
  const batch = parallel ? limit : 1;
  const parts = bodies.map((part, i) => ({ part, i }));
  // Parts go out in batches of `batch`; between batches the members the change does not name are checked (one
  // request), and a loss stops every part not yet started.
  for (let first = 0; first < parts.length; first += batch) {
    const slice = parts.slice(first, first + batch);
    await eachBounded(slice, batch, sendPart);
    if (first + batch < parts.length && (snap.sample.length || snap.full)) {
      progress(done, 'checking the other members');
      const sent = slice.flatMap(({ part }) => part.ids);
      const sentSet = new Set(sent);
      const partial: MembershipChange = { add: todo.add.filter((id) => sentSet.has(id)), remove: todo.remove.filter((id) => sentSet.has(id)) };
      const between = await collateralBetween(c, todo, snap);
      if (between.lost.length) throw lossError(c, partial, between, 'PATCH');
    }
  }
  progress(done, 'written');
  return parallel;
}

/**
 * PATCH requests in flight at once for one change. Adds and removes of members are independent atomic
 * operations on disjoint ids, so they can go out together, at most `profile.concurrency` at a time. Kept
 * sequential with If-Match (each write changes the version the next one must name) and for Google (one
 * member a request against a write quota; no documented concurrency, so none assumed).
 */
export function patchConcurrency(provider: ProviderKind, concurrency: number, etags: boolean): number {
  if (etags || provider === 'google') return 1;
  return Math.max(1, Math.floor(concurrency) || 1);
}
