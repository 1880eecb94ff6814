// The membership journal: every membership change, kept locally, so that what a server lost can be put back
// and the last change undone. One JSON object a line (append-only; pruned to the newest entries past its bounds).
// It never holds secrets: the profile is named and its origin kept, the base URL's path and query only as a hash
// (they may carry an `${env:}` value), and request URLs are the trace's, whose query secrets are masked.
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ScimxError } from './errors';
import type { Profile } from './profile';

export type JournalKind = 'change' | 'restore' | 'undo';
export type JournalOutcome = 'verified' | 'unverified' | 'failed' | 'lost';

export interface JournalEntry {
  v: 1;
  /** `20261201T220000Z-1a2b3c`: sortable, unique. */
  id: string;
  at: string;
  kind: JournalKind;
  /** The entry this one restores or undoes. */
  of?: string;
  profile: string;
  origin: string;
  /** sha256 of the profile's whole base URL (its path may hold a secret): entries of this profile match it. */
  base: string;
  groupId: string;
  asked: { add: string[]; remove: string[] };
  mode: 'patch' | 'put';
  outcome: JournalOutcome;
  added: string[];
  removed: string[];
  alreadyPresent: string[];
  alreadyAbsent: string[];
  missing: string[];
  /** Members the change did not name that were gone afterwards. */
  lost: string[];
  /** The group before the change, as far as it was read. */
  before: { members?: string[]; sample?: string[]; count?: number };
  /** The group after the change, as far as it was read. */
  after: { members?: string[]; present?: string[]; count?: number };
  requests: Array<{ method: string; url: string; status: number | null }>;
  /** The failure, when the change failed. */
  message?: string;
}

export interface JournalLimits {
  /** Most entries kept (the oldest go first). */
  maxEntries: number;
  /** Most bytes kept. */
  maxBytes: number;
}

export const JOURNAL_LIMITS: JournalLimits = { maxEntries: 1_000, maxBytes: 50 * 1024 * 1024 };
export const JOURNAL_FILE = 'membership-journal.jsonl';

/** Where a journal is kept: one file in a folder of the user's storage area. */
export interface MembershipJournal {
  readonly file: string;
  append(entry: JournalEntry): void;
  /** Every entry, oldest first (unreadable lines are skipped). */
  entries(): JournalEntry[];
}

export class FileJournal implements MembershipJournal {
  readonly file: string;
  constructor(readonly dir: string, private readonly limits: JournalLimits = JOURNAL_LIMITS) {
    this.file = join(dir, JOURNAL_FILE);
  }

  append(entry: JournalEntry): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    appendFileSync(this.file, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
    this.prune();
  }

  entries(): JournalEntry[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return [];
    }
    const out: JournalEntry[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const e = JSON.parse(line) as JournalEntry;
        if (e && e.v === 1 && typeof e.id === 'string' && typeof e.groupId === 'string') out.push(e);
      } catch { /* a torn last line after a crash: skipped */ }
    }
    return out;
  }

  /** Keeps the newest entries within both bounds (rewritten through a temporary file, so a crash keeps one). */
  private prune(): void {
    let size: number;
    try {
      size = statSync(this.file).size;
    } catch {
      return;
    }
    const lines = readFileSync(this.file, 'utf8').split('\n').filter((l) => l.trim());
    if (size <= this.limits.maxBytes && lines.length <= this.limits.maxEntries) return;
    const kept: string[] = [];
    let bytes = 0;
    for (let i = lines.length - 1; i >= 0 && kept.length < this.limits.maxEntries; i--) {
      const n = Buffer.byteLength(lines[i]!) + 1;
      if (bytes + n > this.limits.maxBytes && kept.length) break;
      bytes += n;
      kept.push(lines[i]!);
    }
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${kept.reverse().join('\n')}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}

/**
 * The folder the CLI keeps its journal in: `$SCIMX_STATE_DIR`, else `$XDG_STATE_HOME/scimx`, else the OS's
 * usual place: `~/.local/state/scimx` (Linux and other Unixes), `~/Library/Application Support/scimx` (macOS),
 * `%LOCALAPPDATA%\scimx` (Windows). VS Code keeps its own in the extension's global storage.
 */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform, home: string = homedir()): string {
  if (env.SCIMX_STATE_DIR) return env.SCIMX_STATE_DIR;
  if (env.XDG_STATE_HOME) return join(env.XDG_STATE_HOME, 'scimx');
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'scimx');
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(home, 'AppData', 'Local'), 'scimx');
  return join(home, '.local', 'state', 'scimx');
}

export function newEntryId(now: Date = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

/** What ties entries to a profile without keeping its base URL's path or query (they may hold a secret). */
export function profileKey(profile: Pick<Profile, 'name' | 'baseUrl'>): { profile: string; origin: string; base: string } {
  let origin = '';
  try {
    origin = new URL(profile.baseUrl).origin;
  } catch { /* a profile always has a valid base URL; nothing to show otherwise */ }
  return { profile: profile.name, origin, base: createHash('sha256').update(profile.baseUrl).digest('hex').slice(0, 16) };
}

/** The entries of this profile, newest first. */
export function entriesOf(journal: MembershipJournal, profile: Pick<Profile, 'name' | 'baseUrl'>): JournalEntry[] {
  const key = profileKey(profile);
  return journal.entries().filter((e) => e.profile === key.profile && e.base === key.base).reverse();
}

/** The entry `restore` works on: the one named, else the newest of this profile that lost members. */
export function entryToRestore(journal: MembershipJournal, profile: Pick<Profile, 'name' | 'baseUrl'>, id?: string): JournalEntry {
  const mine = entriesOf(journal, profile);
  if (id !== undefined) {
    const e = mine.find((x) => x.id === id);
    if (!e) throw new ScimxError('usage', `No journal entry ${id} for profile ${profile.name} (journal: ${journal.file}).`);
    if (!e.lost.length) throw new ScimxError('usage', `Journal entry ${id} lost no member: nothing to restore.`);
    return e;
  }
  const restored = new Set(mine.filter((x) => x.kind === 'restore' && x.of && x.outcome === 'verified').map((x) => x.of));
  const e = mine.find((x) => x.lost.length && !restored.has(x.id));
  if (!e) throw new ScimxError('usage', `No membership change of profile ${profile.name} lost members that are not restored yet (journal: ${journal.file}).`);
  return e;
}

/** The entry `undo` works on: the one named, else the newest change of this profile not undone yet. */
export function entryToUndo(journal: MembershipJournal, profile: Pick<Profile, 'name' | 'baseUrl'>, id?: string): JournalEntry {
  const mine = entriesOf(journal, profile);
  const undone = new Set(mine.filter((x) => x.kind === 'undo' && x.of).map((x) => x.of));
  const e = id !== undefined ? mine.find((x) => x.id === id) : mine.find((x) => x.kind !== 'undo' && !undone.has(x.id) && (x.added.length || x.removed.length));
  if (!e) {
    throw new ScimxError('usage', id !== undefined
      ? `No journal entry ${id} for profile ${profile.name} (journal: ${journal.file}).`
      : `No membership change of profile ${profile.name} to undo (journal: ${journal.file}).`);
  }
  if (!e.added.length && !e.removed.length) throw new ScimxError('usage', `Journal entry ${e.id} changed nothing: nothing to undo.`);
  return e;
}
