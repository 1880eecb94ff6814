// What the client learnt about a provider, kept across runs (CLI runs, VS Code restarts): the three discovery
// documents as received, with their ETags and when they were fetched; the learnt ProviderQuirks; and, per group,
// a few member ids seen (the sample a membership check asks about first). One JSON file per provider, named by a
// hash of the profile's origin and base path, in a folder of the face's choosing (the CLI: defaultCacheDir; VS
// Code: its global storage). A warm cache means no discovery request at all.
//
// It holds no secrets: no headers, no keys, no auth, no base URL (its path and query are hashed into the file
// name; only the origin is kept, readable, as the journal keeps it), and the text is masked with every secret
// the pipeline knows before it is written. A file that cannot be read or parsed is ignored (said once), never
// fatal; writes go through a temporary file and a rename, mode 0600 in a 0700 folder.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { QuirksSnapshot } from './quirks';

/** How long discovery documents are used without asking (then revalidated, with If-None-Match where they had an
 * ETag). */
export const CACHE_MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** Member ids kept per group, and groups kept (the oldest touched dropped first). 30: the check before a change
 * needs 20 of them still members (SAMPLE_MIN), so a few may leave before it reads the group again; they fit with
 * the changed ids in one 40-id request. At most about 250 KB of ids. */
export const CACHE_MEMBERS_PER_GROUP = 30;
export const CACHE_GROUPS = 200;
const FORMAT = 1;

export type DiscoveryDocumentName = 'ServiceProviderConfig' | 'ResourceTypes' | 'Schemas';
export const DISCOVERY_DOCUMENTS: readonly DiscoveryDocumentName[] = ['ServiceProviderConfig', 'ResourceTypes', 'Schemas'];

/** One discovery document as last received: its parsed body, or why it is not used (`reason`, e.g. `404 from
 * the SCIM service`: the service does not offer it, RFC 7643's defaults stand in); its ETag; when it was fetched
 * or last revalidated (epoch ms). */
export interface CachedDocument {
  body?: Record<string, unknown> | unknown[];
  reason?: string;
  etag?: string;
  fetchedAt: number;
}

export type CachedDiscovery = Record<DiscoveryDocumentName, CachedDocument>;

/** The file's content. */
export interface ProviderCacheRecord {
  v: typeof FORMAT;
  /** The profile's origin, for a person reading the folder. */
  origin: string;
  savedAt: number;
  discovery?: CachedDiscovery;
  quirks?: QuirksSnapshot;
  /** [group id, member ids newest first, member count at its last whole read], oldest group first. */
  members?: Array<[string, string[], number?]>;
}

/** Where records are kept: one text per key. `read` answers undefined when there is none and throws when there
 * is one it cannot read. */
export interface CacheStore {
  read(key: string): string | undefined;
  write(key: string, text: string): void;
  remove(key: string): void;
}

/** A folder of `<key>.json` files. */
export class FileCacheStore implements CacheStore {
  constructor(readonly dir: string) {}

  file(key: string): string {
    return join(this.dir, `${key}.json`);
  }

  read(key: string): string | undefined {
    try {
      return readFileSync(this.file(key), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  write(key: string, text: string): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file(key)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      writeFileSync(tmp, text, { mode: 0o600 });
      renameSync(tmp, this.file(key));
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
  }

  remove(key: string): void {
    rmSync(this.file(key), { force: true });
  }
}

/** Drops every provider's cache in the folder (VS Code's Refresh of the whole view). */
export function clearCacheDir(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) if (/^[0-9a-f]{32}\.json(\..*\.tmp)?$/.test(n)) rmSync(join(dir, n), { force: true });
}

/** Values of SCIMX_CACHE_DIR that turn the cache off. */
const OFF = new Set(['off', 'none', 'no', 'false', '0']);

/**
 * The folder the CLI keeps its provider cache in: `$SCIMX_CACHE_DIR` (`off` turns the cache off), else
 * `$XDG_CACHE_HOME/scimx`, else the OS's usual place under the home folder named by the environment: `~/.cache/scimx`
 * (Linux and other Unixes), `~/Library/Caches/scimx` (macOS), `%LOCALAPPDATA%\scimx\cache` (Windows). Undefined
 * (no cache) when it is turned off or the environment names no home folder.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): string | undefined {
  const own = env.SCIMX_CACHE_DIR;
  if (own !== undefined && own !== '') return OFF.has(own.trim().toLowerCase()) ? undefined : own;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'scimx');
  if (platform === 'win32') {
    const local = env.LOCALAPPDATA ?? (env.USERPROFILE ? join(env.USERPROFILE, 'AppData', 'Local') : undefined);
    return local ? join(local, 'scimx', 'cache') : undefined;
  }
  if (!env.HOME) return undefined;
  return platform === 'darwin' ? join(env.HOME, 'Library', 'Caches', 'scimx') : join(env.HOME, '.cache', 'scimx');
}

/** The key of a profile's provider: a hash of its base URL's origin and path (never its query, user info or
 * fragment), and the origin. */
export function providerKey(baseUrl: string): { key: string; origin: string } {
  const u = new URL(baseUrl);
  const path = u.pathname.replace(/\/+$/, '') || '/';
  return { key: createHash('sha256').update(`${u.origin}${path}`).digest('hex').slice(0, 32), origin: u.origin };
}

/** A record read back, checked for the parts this version uses; throws on anything else. */
export function parseRecord(text: string): ProviderCacheRecord {
  const o = JSON.parse(text) as unknown;
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new Error('not a JSON object');
  const r = o as Record<string, unknown>;
  if (r.v !== FORMAT) throw new Error(`format ${JSON.stringify(r.v)}, not ${FORMAT}`);
  const out: ProviderCacheRecord = { v: FORMAT, origin: typeof r.origin === 'string' ? r.origin : '', savedAt: typeof r.savedAt === 'number' ? r.savedAt : 0 };
  const d = r.discovery;
  if (d !== undefined) {
    if (!d || typeof d !== 'object') throw new Error('discovery is not an object');
    const docs = {} as CachedDiscovery;
    for (const name of DISCOVERY_DOCUMENTS) {
      const x = (d as Record<string, unknown>)[name] as Record<string, unknown> | undefined;
      if (!x || typeof x !== 'object' || typeof x.fetchedAt !== 'number') throw new Error(`discovery.${name} is not a cached document`);
      const body = x.body;
      if (body !== undefined && (!body || typeof body !== 'object')) throw new Error(`discovery.${name}.body is not JSON object or array`);
      if (body === undefined && typeof x.reason !== 'string') throw new Error(`discovery.${name} has neither a body nor a reason`);
      docs[name] = {
        fetchedAt: x.fetchedAt,
        ...(body !== undefined ? { body: body as Record<string, unknown> | unknown[] } : {}),
        ...(typeof x.reason === 'string' ? { reason: x.reason } : {}),
        ...(typeof x.etag === 'string' ? { etag: x.etag } : {}),
      };
    }
    out.discovery = docs;
  }
  if (r.quirks && typeof r.quirks === 'object') out.quirks = r.quirks;
  if (Array.isArray(r.members)) {
    out.members = r.members
      .filter((m): m is [string, unknown[], unknown] => Array.isArray(m) && typeof m[0] === 'string' && Array.isArray(m[1]))
      .map(([g, list, n]): [string, string[], number?] => {
        const ids = list.filter((i): i is string => typeof i === 'string').slice(0, CACHE_MEMBERS_PER_GROUP);
        return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? [g, ids, n] : [g, ids];
      })
      .slice(-CACHE_GROUPS);
  }
  return out;
}

/** What a client keeps of one provider: read once, written when what it holds changed. */
export class ProviderCache {
  readonly key: string;
  readonly origin: string;
  /** What happened to the cache that a person should hear about (an unreadable file, knowledge dropped), once each. */
  readonly notes: string[] = [];
  private loaded?: ProviderCacheRecord;
  /** The content on disk as far as this client knows ('' none); undefined until loaded. */
  private lastBody?: string;

  constructor(
    private readonly store: CacheStore,
    baseUrl: string,
    /** Masks every secret the pipeline knows: applied to the text before it is written. */
    private readonly mask: (text: string) => string,
    readonly maxAgeMs: number = CACHE_MAX_AGE_MS,
  ) {
    ({ key: this.key, origin: this.origin } = providerKey(baseUrl));
  }

  /** The record kept from an earlier run, if any and readable (read once; an unreadable one is ignored, said in
   * `notes`, and rewritten by the next save). */
  load(): ProviderCacheRecord | undefined {
    if (this.lastBody !== undefined) return this.loaded;
    this.lastBody = '';
    let text: string | undefined;
    try {
      text = this.store.read(this.key);
    } catch (e) {
      this.note(`the provider cache could not be read and is ignored (${(e as Error).message})`);
      return undefined;
    }
    if (text === undefined) return undefined;
    try {
      this.loaded = parseRecord(text);
      this.lastBody = content(this.loaded);
    } catch (e) {
      this.note(`the provider cache file is damaged and is ignored (${(e as Error).message})`);
      this.lastBody = 'damaged';
    }
    return this.loaded;
  }

  /** Writes the record when it differs from what is stored (nothing learnt: the file is removed); a failure to
   * write is said once, never thrown. */
  save(record: Omit<ProviderCacheRecord, 'v' | 'origin' | 'savedAt'>, now: number): void {
    this.load();
    if (!record.discovery && (!record.quirks || !Object.keys(record.quirks).length) && !record.members?.length) {
      this.remove();
      return;
    }
    const body = content(record);
    if (body === this.lastBody) return;
    const full: ProviderCacheRecord = { v: FORMAT, origin: this.origin, savedAt: now, discovery: record.discovery, quirks: record.quirks, members: record.members };
    const text = this.mask(JSON.stringify(full));
    // what this client holds now, written or not (a contradiction's drop must hold in this run either way)
    this.loaded = full;
    try {
      this.store.write(this.key, text);
      this.lastBody = body;
    } catch (e) {
      this.note(`the provider cache could not be written (${(e as Error).message})`);
    }
  }

  /** Forgets the stored record. */
  remove(): void {
    this.load();
    this.loaded = undefined;
    if (this.lastBody === '') return;
    try {
      this.store.remove(this.key);
      this.lastBody = '';
    } catch (e) {
      this.note(`the provider cache could not be removed (${(e as Error).message})`);
    }
  }

  note(text: string): void {
    if (!this.notes.includes(text)) this.notes.push(text);
  }
}

function content(r: Pick<ProviderCacheRecord, 'discovery' | 'quirks' | 'members'>): string {
  return JSON.stringify([r.discovery ?? null, r.quirks ?? null, r.members ?? null]);
}
