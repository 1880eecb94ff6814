// `get` and `members` take names as well as ids: a user by id, userName or displayName, a group by id or
// displayName. All the values of one command are looked up with one filtered read (`id eq "x" or userName eq "x"
// or displayName eq "x" or …`, at most REFS_PER_READ values a read). An exact id wins; else one name match is
// the one; several are refused, listing the candidates. A value that matches nothing is used as an id, as given
// (ids are opaque, RFC 7643 §3.1: a member's id may belong to a user that no longer exists). A service that
// refuses the filter (400, 403, 501) gets the values as ids, as before, and is not asked again (a learnt quirk, kept in
// the provider cache across runs).
import { HttpStatusError, ScimxError, toScimxError } from '../core/errors';
import type { ScimClient } from '../core/scim/client';
import { eq, or, toFilterString } from '../core/scim/filter';
import type { ScimResource } from '../core/scim/types';

export const REFS_PER_READ = 20;

/** The SCIM service itself refused the filter (400 invalidFilter, 403, 501), not the gateway: the same test as
 * the client's `refusedByService`, written here so that `scimx --help` does not load the HTTP client. */
function refusedByService(err: ScimxError): boolean {
  return err instanceof HttpStatusError && [400, 403, 501].includes(err.status) && err.code !== 'gateway';
}

export type RefKind = 'user' | 'group' | 'other';

export interface Resolved {
  /** What was given on the command line. */
  ref: string;
  id: string;
  /** The resource as the filtered read returned it (undefined when the value is used as an id as given). */
  resource?: ScimResource;
  /** `id`, `userName` or `displayName`: what matched; `as-given` when nothing did. */
  by: 'id' | 'userName' | 'displayName' | 'as-given';
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}

/** The attributes a value is looked up by. */
export function nameAttributes(kind: RefKind): Array<'userName' | 'displayName'> {
  return kind === 'user' ? ['userName', 'displayName'] : ['displayName'];
}

/** The one filter for a batch of values. */
export function refsFilter(refs: string[], kind: RefKind): string {
  return toFilterString(or(...refs.flatMap((r) => [eq('id', r), ...nameAttributes(kind).map((a) => eq(a, r))])));
}

function describe(r: ScimResource, kind: RefKind): string {
  const names = nameAttributes(kind).map((a) => (text(r[a]) ? `${a} "${text(r[a])}"` : '')).filter(Boolean);
  return `${r.id}${names.length ? ` (${names.join(', ')})` : ''}`;
}

/**
 * Which resource a value names, among what one filtered read returned. `userName` and `displayName` compare
 * without case, as SCIM's `eq` does for them (caseExact false). Throws a usage ScimxError on ambiguity.
 */
export function pick(ref: string, found: ScimResource[], kind: RefKind, what: string): Resolved {
  const byId = found.find((r) => r.id === ref);
  if (byId) return { ref, id: byId.id, resource: byId, by: 'id' };
  const lower = ref.toLowerCase();
  const matches: Array<{ r: ScimResource; by: 'userName' | 'displayName' }> = [];
  for (const r of found) {
    const by = nameAttributes(kind).find((a) => text(r[a])?.toLowerCase() === lower);
    if (by && !matches.some((m) => m.r.id === r.id)) matches.push({ r, by });
  }
  if (matches.length === 1) return { ref, id: matches[0]!.r.id, resource: matches[0]!.r, by: matches[0]!.by };
  if (matches.length > 1) {
    // a userName is unique on a service: one userName match beats displayName matches
    const users = matches.filter((m) => m.by === 'userName');
    if (users.length === 1) return { ref, id: users[0]!.r.id, resource: users[0]!.r, by: 'userName' };
    const shown = matches.slice(0, 10).map((m) => describe(m.r, kind));
    if (matches.length > 10) shown.push(`… and ${matches.length - 10} more`);
    throw new ScimxError('usage', `"${ref}" names ${matches.length} ${what}: ${shown.join('; ')}`, { hint: 'give the id instead' });
  }
  return { ref, id: ref, by: 'as-given' };
}

/**
 * Resolves values to ids with one filtered read per REFS_PER_READ values. `attributes`: what the read asks for
 * (besides the name attributes, which it always asks for); undefined asks for the resource as the endpoint gives it.
 */
export async function resolveRefs(
  client: ScimClient, endpoint: string, kind: RefKind, refs: string[],
  opts: { signal: AbortSignal; what: string; attributes?: string[] | 'default'; excludedAttributes?: string[]; knownIds?: ReadonlySet<string> },
): Promise<Resolved[]> {
  // values the client knows as ids of this kind (read before, in this run or an earlier one) are not looked up:
  // an exact id always wins the lookup, so it could only answer the same id
  const known = opts.knownIds ?? new Set<string>();
  const all = [...new Set(refs)];
  const unknown = all.filter((ref) => !known.has(ref));
  const found = new Map((unknown.length ? await lookUp(client, endpoint, kind, unknown, opts) : []).map((r) => [r.ref, r]));
  return all.map((ref): Resolved => found.get(ref) ?? { ref, id: ref, by: 'id' });
}

async function lookUp(
  client: ScimClient, endpoint: string, kind: RefKind, unique: string[], opts: { signal: AbortSignal; what: string; attributes?: string[] | 'default'; excludedAttributes?: string[] },
): Promise<Resolved[]> {
  const asGiven = (): Resolved[] => unique.map((ref) => ({ ref, id: ref, by: 'as-given' as const }));
  if (kind === 'other' || !(await client.filtersUsable({ signal: opts.signal, title: 'discover' }))) return asGiven();
  // a provider that refused this lookup once (learnt, kept in the provider cache across runs) is not asked again
  const shape = `${endpoint}?filter=id or ${nameAttributes(kind).join(' or ')} (name lookup)`;
  if (client.failedFilter(shape)) return asGiven();
  const found: ScimResource[] = [];
  for (let i = 0; i < unique.length; i += REFS_PER_READ) {
    const batch = unique.slice(i, i + REFS_PER_READ);
    const attributes = opts.attributes === 'default' ? undefined : [...new Set([...(opts.attributes ?? []), ...nameAttributes(kind)])];
    try {
      const page = await client.listPage(endpoint, {
        filter: refsFilter(batch, kind), attributes, excludedAttributes: opts.excludedAttributes,
        count: Math.max(batch.length * 3, 10),
      }, { signal: opts.signal, title: `find ${batch.length === 1 ? `"${batch[0]}"` : `${batch.length} ${opts.what}`} by id or name` });
      found.push(...page.resources);
    } catch (e) {
      const err = toScimxError(e);
      // Any answer that is not a list of matches (a refused filter, a collection the service does not offer, an
      // error page): the values are used as ids, as given, and the command's own request says what is wrong.
      if (refusedByService(err)) client.rememberFailedFilter(shape, `${(err as HttpStatusError).status} from the SCIM service`);
      if (refusedByService(err) || err instanceof HttpStatusError || err.code === 'response') return asGiven();
      throw err;
    }
  }
  return unique.map((ref) => pick(ref, found, kind, opts.what));
}
