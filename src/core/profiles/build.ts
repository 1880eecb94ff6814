// One profile built from its map: the keys checked, then each section read by its own builder (./sections),
// in file order, so that problems and substitutions come in the order a person reads them.
import { isMap } from 'yaml';
import { DEFAULTS, type Profile } from '../profile';
import { Level } from './level';
import { describe, join, type Ctx, type Entry } from './reader';
import { ALL_AUTH_KEYS, checkUrl, GROUP_READS, LOCATIONS, PROFILE_KEYS, PROVIDERS, WRITES } from './rules';
import { readAuth } from './sections/auth';
import { readGateway } from './sections/gateway';
import { readHeaders } from './sections/headers';
import { readProxy } from './sections/proxy';
import { readTls } from './sections/tls';

/** The profile of one entry under `profiles:`; undefined when a section has a problem (reported in `ctx`). */
export async function buildProfile(ctx: Ctx, entry: Entry, path: string): Promise<Profile | undefined> {
  const node = entry.value;
  if (!isMap(node)) {
    ctx.problem(node ?? entry.keyNode, path, `expected a profile map (at least \`baseUrl:\`), found ${describe(node)}`);
    return undefined;
  }
  const entries = ctx.entries(node, path);
  ctx.checkKeys(entries, PROFILE_KEYS, path, (k) => {
    if (k === 'name') return 'unknown key "name": the profile\'s name is its key under `profiles:`';
    if (k === 'subscriptionKey') return 'unknown key "subscriptionKey": put it under `gateway:` (gateway.subscriptionKey)';
    if (ALL_AUTH_KEYS.includes(k)) return `unknown key "${k}": put it under \`auth:\` (auth.${k})`;
    return undefined;
  });
  const p = new Level(ctx, node, path, entries);

  // baseUrl
  let baseUrl: string | undefined;
  const rawBase = await p.str('baseUrl', { required: 'the SCIM base URL, e.g. https://gw.example.com/scim/v2' });
  if (rawBase) {
    const u = checkUrl(rawBase.value);
    if (typeof u === 'object') baseUrl = u.url;
    else ctx.problem(p.at('baseUrl'), join(path, 'baseUrl'), u);
  }

  const auth = await readAuth(ctx, p);
  const gateway = await readGateway(ctx, p);
  const { headers, secretHeaders } = await readHeaders(ctx, p, path, gateway);

  const writes = await p.oneOf('writes', WRITES, DEFAULTS.writes);
  const locations = await p.oneOf('locations', LOCATIONS, DEFAULTS.locations);
  const provider = await p.oneOf('provider', PROVIDERS, DEFAULTS.provider);
  const timeoutMs = await p.int('timeoutMs', DEFAULTS.timeoutMs, 1, 3_600_000);
  const pageSize = await p.int('pageSize', DEFAULTS.pageSize, 1, 100_000);
  const concurrency = await p.int('concurrency', DEFAULTS.concurrency, 1, 64);
  const maxOperationsPerPatch = await p.int('maxOperationsPerPatch', DEFAULTS.maxOperationsPerPatch, 1, 10_000);
  const maxResponseMB = await p.int('maxResponseMB', DEFAULTS.maxResponseMB, 1, 4096);
  const groupReads = await p.oneOf('groupReads', GROUP_READS, 'verify');
  const excludeMembersOnWrite = await p.bool('excludeMembersOnWrite', false);
  const discoveryMaxAgeHours = await p.int('discoveryMaxAgeHours', DEFAULTS.discoveryMaxAgeHours, 0, 8760);

  const tls = await readTls(ctx, p);
  const proxy = await readProxy(ctx, p, path);

  if (baseUrl === undefined || auth === undefined || writes === undefined || locations === undefined || provider === undefined
    || timeoutMs === undefined || pageSize === undefined || concurrency === undefined || maxOperationsPerPatch === undefined
    || maxResponseMB === undefined) {
    return undefined;
  }
  const keyPos = ctx.lc.linePos(ctx.offsetOf(entry.keyNode));
  const profile: Profile = {
    name: entry.key, baseUrl, auth, gateway, headers, secretHeaders, writes, locations, provider, timeoutMs, pageSize,
    concurrency, maxOperationsPerPatch, maxResponseMB, tls, source: { file: ctx.file, line: keyPos.line },
  };
  if (proxy) profile.proxy = proxy;
  if (groupReads === 'complete') profile.groupReads = groupReads;
  if (excludeMembersOnWrite) profile.excludeMembersOnWrite = true;
  if (discoveryMaxAgeHours !== undefined && discoveryMaxAgeHours !== DEFAULTS.discoveryMaxAgeHours) profile.discoveryMaxAgeHours = discoveryMaxAgeHours;
  return profile;
}
