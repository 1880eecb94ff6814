// Where profiles come from: `scim-profiles*.yaml` files in the workspace (setting `scim.profilesFiles`,
// watched; ignored in an untrusted workspace), the `scim.profiles` user setting, and session-only
// sources (the local sandbox). A file that does not parse becomes an error entry, never a silent gap.
//
// Reading asks nothing: a `${secret:NAME}` not stored yet and a stored secret bound for a host it was not
// approved for are both left for the profile's first use (`forUse`: the password box, the "Send secret?" modal).
// Each read is compared with the one before: `onDidChange` names only the profiles that changed.
import * as vscode from 'vscode';
import { ScimxError, type ConfigProblem } from '../core/errors';
import type { Profile, SecretResolver } from '../core/profile';
import { SECRET_NOT_SET, changedProfiles, profileFingerprint } from './profile-set';
import { envProxy, withVsCodeProxy, type ProxySettings } from './proxy';
import type { Secrets } from './secrets';
import { secretRefs } from './secret-refs';
import { loadBrowse } from './core-loader';
import { VSCODE_COMMANDS } from './command-ids';
import {
  APPROVALS_KEY, approve, askText, decideSecretUse, deniedKey, deniedMessage, readApprovals, secretUses, workspaceSources,
  type SourceKind,
} from './workspace-safety';

export interface ProfileProblemEntry {
  /** Profile name when the problem is about one profile, else the file's base name. */
  name: string;
  file: string;
  problems: ConfigProblem[];
}

export interface ProfileSet {
  profiles: Profile[];
  errors: ProfileProblemEntry[];
  /** Lines shown at the top of the tree (e.g. workspace not trusted). */
  notices: string[];
  /** Every `${secret:NAME}` the sources refer to. */
  secretNames: string[];
  /** Workspace profiles files as read, with their problems (none: all is well), for the Problems panel. */
  files: Array<{ file: string; text: string; problems: ConfigProblem[] }>;
  /** Profile name → secrets it refers to that are not stored yet (asked for on first use). */
  unsetSecrets: Map<string, string[]>;
}

/** What changed in a reload: the profiles added, removed or changed (`undefined`: treat all as changed). */
export interface ProfilesChange {
  changed: ReadonlySet<string> | undefined;
}

interface Loaded {
  set: ProfileSet;
  /** Where each listed profile came from (to parse it again, asking, on first use). */
  origin: Map<string, Source>;
  /** Profiles resolved for use (secrets asked, destinations approved), by name. */
  resolved: Map<string, Profile>;
  fingerprints: Map<string, string>;
}

export const SETTINGS_SOURCE = 'User Settings (scim.profiles)';

interface Source { file: string; text: string; kind: SourceKind }

export class ProfileStore implements vscode.Disposable {
  private current: Promise<Loaded> | undefined;
  private last: Loaded | undefined;
  private readonly resolving = new Map<string, Promise<Profile>>();
  private watchers: vscode.Disposable[] = [];
  private readonly sessionSources = new Map<string, string>();
  private readonly emitter = new vscode.EventEmitter<ProfilesChange>();
  private reloadTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Fires after a reload, naming the profiles that changed (the first read fires `onDidLoad` only). */
  readonly onDidChange = this.emitter.event;
  private readonly loadedEmitter = new vscode.EventEmitter<ProfileSet>();
  /** Fires when a read of the sources finished (the first one included): the status bar and the Problems panel
   * wait for it rather than reading files during activation. */
  readonly onDidLoad = this.loadedEmitter.event;
  /** `secret\norigin` pairs the user refused in this session (asked again once a profiles file changes). */
  private readonly denied = new Set<string>();

  /** `approvals` (globalState) remembers, per secret name, the origins it may be sent to. */
  constructor(private readonly secrets: Secrets, private readonly log: vscode.LogOutputChannel, private readonly approvals?: vscode.Memento) {
    this.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('scim.profilesFiles')) this.rewatch();
        if (['scim.profiles', 'scim.profilesFiles', 'http.proxy', 'http.noProxy', 'http.proxyStrictSSL', 'http.proxyAuthorization', 'http.proxySupport'].some((k) => e.affectsConfiguration(k))) {
          this.reload();
        }
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => { this.rewatch(); this.reload(); }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => { this.rewatch(); this.reload(); }),
      this.secrets.onDidChange(() => this.reload()),
    );
  }

  /** Profiles as last loaded; the first call reads the files and starts watching them. */
  async load(): Promise<ProfileSet> {
    return (await this.loaded()).set;
  }

  /** True once a first read has finished. */
  get isLoaded(): boolean {
    return this.last !== undefined;
  }

  private loaded(): Promise<Loaded> {
    if (!this.current) {
      if (!this.watchers.length) this.rewatch();
      this.current = this.readAndCompare();
    }
    return this.current;
  }

  /** A listed profile as last read (resolved for use when it has been used: its secrets filled in). Asks nothing. */
  async get(name: string): Promise<Profile | undefined> {
    const l = await this.loaded();
    return l.resolved.get(name) ?? l.set.profiles.find((p) => p.name === name);
  }

  /**
   * The profile ready to send requests: its `${secret:…}` values asked for now if not stored yet, its secrets'
   * destinations approved (a modal for a workspace file's new host). Throws a config ScimxError when a secret is
   * not given or the user refused (the profile then shows that error in the tree).
   */
  async forUse(name: string): Promise<Profile | undefined> {
    const l = await this.loaded();
    const ready = l.resolved.get(name);
    if (ready) return ready;
    if (!l.set.profiles.some((p) => p.name === name)) return undefined;
    let p = this.resolving.get(name);
    if (!p) {
      p = this.resolve(l, name).finally(() => this.resolving.delete(name));
      this.resolving.set(name, p);
    }
    return p;
  }

  private async resolve(l: Loaded, name: string): Promise<Profile> {
    const src = l.origin.get(name);
    let profile = l.set.profiles.find((p) => p.name === name) as Profile;
    if (src && l.set.unsetSecrets.has(name)) {
      const { parseProfiles } = loadBrowse();
      const r = await parseProfiles(src.text, src.file, { env: process.env, secrets: this.secrets });
      const fresh = r.profiles.find((x) => x.name === name);
      if (!fresh) {
        const problem = r.broken.find((b) => b.name === name)?.problems[0] ?? r.problems[0];
        throw new ScimxError('config', `Profile "${name}": ${problem?.message ?? 'cannot be used'}`, { hint: 'Store the secret with "SCIM: Set Secret…".' });
      }
      profile = withVsCodeProxy(fresh, this.proxySettings());
    }
    const refused = await this.checkSecretDestinations(profile, src?.kind ?? 'user');
    if (refused) {
      this.reload(0); // the tree shows the profile's "not approved" error
      throw new ScimxError('config', `Profile "${name}": ${refused}`);
    }
    if (this.last === l) {
      l.resolved.set(name, profile);
      // a profile filled in counts as what it was: the reload its stored secret causes changes nothing
      l.fingerprints.set(name, profileFingerprint(profile));
    }
    return profile;
  }

  /** Re-read everything soon (debounced: a save fires several watcher events). Only the profiles that changed
   * are announced (`onDidChange`), so only they refresh. */
  reload(delayMs = 150): void {
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = undefined;
      const reading = (this.current = this.readAndCompare());
      void reading.then((l) => { if (this.current === reading) this.emitter.fire({ changed: l.changed }); }, () => undefined);
    }, delayMs);
  }

  private async readAndCompare(): Promise<Loaded & { changed: Set<string> | undefined }> {
    const before = this.last;
    const l = await this.read();
    let changed: Set<string> | undefined;
    if (before) {
      changed = changedProfiles(before.fingerprints, l.fingerprints);
      // unchanged profiles keep what their use resolved (secrets asked, destinations approved)
      for (const [name, p] of before.resolved) {
        if (!changed.has(name) && l.set.profiles.some((x) => x.name === name)) {
          l.resolved.set(name, p);
          l.fingerprints.set(name, before.fingerprints.get(name) as string);
        }
      }
    }
    this.last = l;
    this.loadedEmitter.fire(l.set);
    return Object.assign(l, { changed });
  }

  /** A profiles document that lives only in this session (the local sandbox). */
  addSessionSource(label: string, yamlText: string): void {
    this.sessionSources.set(label, yamlText);
    this.reload(0);
  }

  dispose(): void {
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    for (const d of [...this.watchers, ...this.subscriptions]) d.dispose();
    this.emitter.dispose();
    this.loadedEmitter.dispose();
    this.resolving.clear();
  }

  private globs(): string[] {
    const v = vscode.workspace.getConfiguration('scim').get<unknown>('profilesFiles');
    const list = Array.isArray(v) ? v.filter((g): g is string => typeof g === 'string' && g.trim().length > 0) : [];
    return list.length ? list : ['**/scim-profiles*.yaml'];
  }

  private rewatch(): void {
    for (const w of this.watchers) w.dispose();
    this.watchers = [];
    if (!workspaceSources({ trusted: vscode.workspace.isTrusted, folders: vscode.workspace.workspaceFolders?.length ?? 0 }).watch) return;
    for (const glob of this.globs()) {
      const w = vscode.workspace.createFileSystemWatcher(glob);
      const changed = (): void => { this.denied.clear(); this.reload(); };
      this.watchers.push(w, w.onDidChange(changed), w.onDidCreate(changed), w.onDidDelete(changed));
    }
  }

  private async sources(notices: string[]): Promise<Source[]> {
    const out: Source[] = [];
    const fromSettings = vscode.workspace.getConfiguration('scim').inspect<unknown>('profiles')?.globalValue;
    if (fromSettings && typeof fromSettings === 'object' && Object.keys(fromSettings).length) {
      out.push({ file: SETTINGS_SOURCE, text: JSON.stringify({ profiles: fromSettings }, null, 2), kind: 'user' });
    }
    const ws = workspaceSources({ trusted: vscode.workspace.isTrusted, folders: vscode.workspace.workspaceFolders?.length ?? 0 });
    if (ws.notice) notices.push(ws.notice);
    {
      if (ws.readWorkspaceFiles) {
        const seen = new Set<string>();
        for (const glob of this.globs()) {
          const files = await vscode.workspace.findFiles(glob, '**/node_modules/**', 100);
          for (const uri of files.sort((a, b) => a.fsPath.localeCompare(b.fsPath))) {
            if (seen.has(uri.toString())) continue;
            seen.add(uri.toString());
            try {
              const bytes = await vscode.workspace.fs.readFile(uri);
              out.push({ file: uri.fsPath, text: new TextDecoder().decode(bytes), kind: 'workspace' });
            } catch (e) {
              out.push({ file: uri.fsPath, text: '', kind: 'workspace' });
              this.log.warn(`cannot read ${uri.fsPath}: ${e instanceof Error ? e.message : String(e)}`);
            }
          }
        }
      }
    }
    for (const [label, text] of this.sessionSources) out.push({ file: label, text, kind: 'session' });
    return out;
  }

  /**
   * Before a profile may send its stored `${secret:…}` values to an origin they were not approved for, ask
   * (workspace files only; see ./workspace-safety.ts). Returns the problem to show when the user refused.
   */
  async checkSecretDestinations(profile: Profile, kind: SourceKind): Promise<string | undefined> {
    for (const use of secretUses(profile)) {
      const approvals = readApprovals(this.approvals?.get<unknown>(APPROVALS_KEY));
      const d = decideSecretUse(approvals, use, { source: kind, enteredNow: this.secrets.entered, denied: this.denied });
      if (d.kind === 'allowed') continue;
      if (d.kind === 'record') {
        await this.approvals?.update(APPROVALS_KEY, approve(approvals, use.secret, use.origin));
        continue;
      }
      if (d.kind === 'denied') return deniedMessage(use);
      const { message, detail } = askText(use, profile, d.approvedFor);
      const answer = await vscode.window.showWarningMessage(message, { modal: true, detail }, 'Allow');
      if (answer === 'Allow') {
        await this.approvals?.update(APPROVALS_KEY, approve(readApprovals(this.approvals?.get<unknown>(APPROVALS_KEY)), use.secret, use.origin));
        this.log.info(`secret ${use.secret}: approved for ${use.origin} (profile ${profile.name})`);
        continue;
      }
      this.denied.add(deniedKey(use));
      this.log.warn(`secret ${use.secret}: not approved for ${use.origin}; profile ${profile.name} is not used`);
      return deniedMessage(use);
    }
    return undefined;
  }

  private proxySettings(): ProxySettings {
    const http = vscode.workspace.getConfiguration('http');
    return {
      proxy: http.get<string>('proxy') || undefined,
      noProxy: http.get<string[]>('noProxy') ?? [],
      strictSSL: http.get<boolean>('proxyStrictSSL', true),
      authorization: http.get<string | null>('proxyAuthorization') ?? undefined,
      support: http.get<ProxySettings['support']>('proxySupport'),
      env: process.env,
    };
  }

  private async read(): Promise<Loaded> {
    const set: ProfileSet = { profiles: [], errors: [], notices: [], secretNames: [], files: [], unsetSecrets: new Map() };
    const loaded: Loaded = { set, origin: new Map(), resolved: new Map(), fingerprints: new Map() };
    const { parseProfiles, shortSecretWarnings } = loadBrowse();
    const proxy = this.proxySettings();
    if (!proxy.proxy && proxy.support !== 'off') {
      const problem = envProxy('https://x.invalid', process.env).problem ?? envProxy('http://x.invalid', process.env).problem;
      if (problem) this.log.warn(`proxy: ${problem}`);
    }
    for (const src of await this.sources(set.notices)) {
      for (const n of secretRefs(src.text)) if (!set.secretNames.includes(n)) set.secretNames.push(n);
      let result: { profiles: Profile[]; problems: ConfigProblem[]; broken: Array<{ name: string; problems: ConfigProblem[] }> };
      // Stored secrets are filled in; one not stored yet is left for the profile's first use (nothing is asked here).
      const unset = new Set<string>();
      const quiet: SecretResolver = {
        get: async (name) => {
          const v = await this.secrets.stored(name);
          if (v !== undefined && v !== '') return v;
          unset.add(name);
          return SECRET_NOT_SET;
        },
      };
      const fileProblems: ConfigProblem[] = [];
      if (src.kind === 'workspace') set.files.push({ file: src.file, text: src.text, problems: fileProblems });
      try {
        result = await parseProfiles(src.text, src.file, { env: process.env, secrets: quiet });
      } catch (e) {
        const problems = (e as { problems?: ConfigProblem[] }).problems;
        const message = e instanceof Error ? e.message : String(e);
        result = { profiles: [], broken: [], problems: problems?.length ? problems : [{ file: src.file, line: 0, column: 0, key: '', message }] };
      }
      // A broken profile shows on its own node; what belongs to no profile shows on the file's node.
      const id = (p: ConfigProblem): string => `${p.line}:${p.column}:${p.key}:${p.message}`;
      const owned = new Set(result.broken.flatMap((b) => b.problems.map(id)));
      for (const b of result.broken) set.errors.push({ name: b.name, file: src.file, problems: b.problems });
      const rest = result.problems.filter((p) => !owned.has(id(p)));
      if (rest.length) set.errors.push({ name: baseName(src.file), file: src.file, problems: rest });
      fileProblems.push(...result.problems);
      for (const profile of result.profiles) {
        if (set.profiles.some((p) => p.name === profile.name)) {
          const first = loaded.origin.get(profile.name)?.file;
          const problem: ConfigProblem = {
            file: src.file, line: profile.source?.line ?? 0, column: 3, key: `profiles.${profile.name}`,
            message: `a profile named "${profile.name}" is already defined${first && first !== src.file ? ` in ${first}` : ''}; this one is ignored`,
          };
          set.errors.push({ name: profile.name, file: src.file, problems: [problem] });
          fileProblems.push(problem);
          continue;
        }
        // The file's own destinations (a proxy from the user's http.proxy setting is not the file's doing).
        // Refused before in this session: the error shows now; never decided: asked on first use.
        const refused = this.refusedBefore(profile, src.kind);
        if (refused) {
          const problem: ConfigProblem = { file: src.file, line: profile.source?.line ?? 0, column: 3, key: `profiles.${profile.name}.baseUrl`, message: refused };
          set.errors.push({ name: profile.name, file: src.file, problems: [problem] });
          fileProblems.push(problem);
          continue;
        }
        const mine = (profile.secretRefs ?? []).filter((n) => unset.has(n));
        if (mine.length) set.unsetSecrets.set(profile.name, mine);
        const listed = withVsCodeProxy(profile, proxy);
        set.profiles.push(listed);
        loaded.origin.set(profile.name, src);
        loaded.fingerprints.set(profile.name, profileFingerprint(listed));
        // Secrets too short to be masked in free text: said on the tree, next to the profile (it stays usable).
        const short = shortSecretWarnings(profile);
        if (short.length) {
          set.errors.push({ name: profile.name, file: src.file, problems: short.map((w) => ({ file: src.file, line: profile.source?.line ?? 0, column: 1, key: w.key, message: `warning: ${w.message}` })) });
        }
      }
    }
    this.log.info(`profiles: ${set.profiles.length} loaded${set.errors.length ? `, ${set.errors.length} with problems` : ''}`);
    for (const e of set.errors) for (const p of e.problems) this.log.warn(`${p.file}:${p.line}:${p.column} ${p.key} ${p.message}`);
    await vscode.commands.executeCommand(VSCODE_COMMANDS.setContext, 'scim.hasProfiles', set.profiles.length > 0);
    return loaded;
  }

  /** A refusal the user already gave in this session for one of the profile's secrets (no question asked). */
  private refusedBefore(profile: Profile, kind: SourceKind): string | undefined {
    const approvals = readApprovals(this.approvals?.get<unknown>(APPROVALS_KEY));
    for (const use of secretUses(profile)) {
      const d = decideSecretUse(approvals, use, { source: kind, enteredNow: this.secrets.entered, denied: this.denied });
      if (d.kind === 'denied') return deniedMessage(use);
    }
    return undefined;
  }
}

function baseName(file: string): string {
  return file.split(/[\\/]/).pop() || file;
}
