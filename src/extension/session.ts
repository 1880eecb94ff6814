// One ScimClient per profile, created on first use (the HTTP stack is loaded only then, keeping
// activation lean), all writing into the extension's single Trace. Closed when profiles change.
import type { WaitNotice } from '../core/http/types';
import { FileJournal, type MembershipJournal } from '../core/journal';
import type { ScimClient } from '../core/scim/client';
import type { Trace } from '../core/trace';
import type { ProfileStore } from './profiles';
import { join } from 'node:path';
import { ScimxError } from '../core/errors';
import { loadBrowse } from './core-loader';

export class Clients {
  private readonly clients = new Map<string, Promise<ScimClient>>();
  /** profile -> resource id -> userName/displayName, for member labels. */
  private readonly labels = new Map<string, Map<string, string>>();

  constructor(
    private readonly profiles: ProfileStore,
    readonly trace: Trace,
    private readonly userAgent: string,
    private readonly onWait?: (notice: WaitNotice) => void,
    /** Folder of the membership journal (the extension's global storage); none: changes are not recorded. The
     * provider cache (what clients learn of each provider, kept across restarts) lives in its `provider-cache`. */
    private readonly journalDir?: string,
  ) {}

  /** Where the provider cache is kept; none without global storage. */
  get cacheDir(): string | undefined {
    return this.journalDir ? join(this.journalDir, 'provider-cache') : undefined;
  }

  /** Forgets what was learnt of every provider (the view's Refresh): the clients made so far, and the cache on
   * disk, so that the next use asks each service again. */
  forgetLearnt(): void {
    for (const c of this.clients.values()) void c.then((x) => x.forgetProvider()).catch(() => undefined);
    if (this.cacheDir) loadBrowse().clearCacheDir(this.cacheDir);
  }

  get(profileName: string): Promise<ScimClient> {
    let c = this.clients.get(profileName);
    if (!c) {
      c = this.create(profileName);
      this.clients.set(profileName, c);
      c.catch(() => this.clients.delete(profileName));
    }
    return c;
  }

  /** The profile's client when one was made already (never asks for a secret): for completion. */
  existing(profileName: string): Promise<ScimClient> | undefined {
    return this.clients.get(profileName);
  }

  names(profileName: string): Map<string, string> {
    let m = this.labels.get(profileName);
    if (!m) this.labels.set(profileName, (m = new Map<string, string>()));
    return m;
  }

  /** Drops the clients of the profiles named (every client without names): their profiles changed. Their
   * connections are closed in the background. */
  reset(names?: Iterable<string>): void {
    const which = names ? [...names] : [...this.clients.keys()];
    const old: Array<Promise<ScimClient>> = [];
    for (const n of which) {
      const c = this.clients.get(n);
      if (c) old.push(c);
      this.clients.delete(n);
      this.labels.delete(n);
    }
    if (!names) this.labels.clear();
    for (const c of old) void c.then((x) => x.close()).catch(() => undefined);
  }

  async dispose(): Promise<void> {
    const old = [...this.clients.values()];
    this.clients.clear();
    await Promise.allSettled(old.map(async (c) => (await c).close()));
  }

  private async create(profileName: string): Promise<ScimClient> {
    // Secrets not stored yet are asked for here, on first use, and a new host for a stored one is approved here.
    const profile = await this.profiles.forUse(profileName);
    if (!profile) throw new ScimxError('config', `No SCIM profile named "${profileName}".`, { hint: 'Refresh the SCIM view.' });
    const { ScimClient } = loadBrowse();
    return new ScimClient(profile, {
      trace: this.trace,
      ...(this.journalDir ? { journal: journalIn(this.journalDir) } : {}),
      cacheDir: this.cacheDir,
      userAgent: this.userAgent,
      onWait: (n) => this.onWait?.(n),
    });
  }
}

/** The membership journal in `dir`, its code (dist/journal.js, scripts/build.mjs LAZY) loaded on first use: a
 * change recorded, an undo or restore, the list of changes. Nothing is read or written before. */
function journalIn(dir: string): MembershipJournal {
  let journal: MembershipJournal | undefined;
  const open = (): MembershipJournal => (journal ??= new FileJournal(dir));
  return {
    get file() { return open().file; },
    append: (entry) => open().append(entry),
    entries: () => open().entries(),
  };
}
