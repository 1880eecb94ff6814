// Where profiles come from: `scim-profiles*.yaml` files in the workspace (setting `scim.profilesFiles`,
// watched; ignored in an untrusted workspace), the `scim.profiles` user setting, and session-only
// sources (the local sandbox). A file that does not parse becomes an error entry, never a silent gap.
import * as vscode from 'vscode';
import type { ConfigProblem } from '../core/errors';
import type { Profile } from '../core/profile';
import { envProxy, withVsCodeProxy, type ProxySettings } from './proxy';
import type { Secrets } from './secrets';
import { secretRefs } from './secret-refs';
import { loadCore } from './core-loader';
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
}

export const SETTINGS_SOURCE = 'User Settings (scim.profiles)';

interface Source { file: string; text: string; kind: SourceKind }

export class ProfileStore implements vscode.Disposable {
  private current: Promise<ProfileSet> | undefined;
  private watchers: vscode.Disposable[] = [];
  private readonly sessionSources = new Map<string, string>();
  private readonly emitter = new vscode.EventEmitter<void>();
  private reloadTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];
  readonly onDidChange = this.emitter.event;
  private readonly loadedEmitter = new vscode.EventEmitter<void>();
  /** Fires when a read of the sources finished (the first one included): the status bar waits for it
   * rather than reading files during activation. */
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
  load(): Promise<ProfileSet> {
    if (!this.current) {
      if (!this.watchers.length) this.rewatch();
      const reading = (this.current = this.read());
      void reading.then(() => { if (this.current === reading) this.loadedEmitter.fire(); }, () => undefined);
    }
    return this.current;
  }

  async get(name: string): Promise<Profile | undefined> {
    return (await this.load()).profiles.find((p) => p.name === name);
  }

  /** Re-read everything soon (debounced: a save fires several watcher events). */
  reload(delayMs = 150): void {
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = undefined;
      this.current = undefined;
      this.emitter.fire();
    }, delayMs);
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

  private async read(): Promise<ProfileSet> {
    const set: ProfileSet = { profiles: [], errors: [], notices: [], secretNames: [] };
    const { parseProfiles, shortSecretWarnings } = loadCore();
    const http = vscode.workspace.getConfiguration('http');
    const proxy: ProxySettings = {
      proxy: http.get<string>('proxy') || undefined,
      noProxy: http.get<string[]>('noProxy') ?? [],
      strictSSL: http.get<boolean>('proxyStrictSSL', true),
      authorization: http.get<string | null>('proxyAuthorization') ?? undefined,
      support: http.get<ProxySettings['support']>('proxySupport'),
      env: process.env,
    };
    if (!proxy.proxy && proxy.support !== 'off') {
      const problem = envProxy('https://x.invalid', process.env).problem ?? envProxy('http://x.invalid', process.env).problem;
      if (problem) this.log.warn(`proxy: ${problem}`);
    }
    for (const src of await this.sources(set.notices)) {
      for (const n of secretRefs(src.text)) if (!set.secretNames.includes(n)) set.secretNames.push(n);
      let result: { profiles: Profile[]; problems: ConfigProblem[]; broken: Array<{ name: string; problems: ConfigProblem[] }> };
      try {
        result = await parseProfiles(src.text, src.file, { env: process.env, secrets: this.secrets });
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
      for (const profile of result.profiles) {
        if (set.profiles.some((p) => p.name === profile.name)) {
          set.errors.push({
            name: profile.name, file: src.file,
            problems: [{ file: src.file, line: profile.source?.line ?? 0, column: 1, key: `profiles.${profile.name}`, message: 'a profile with this name is already defined; this one is ignored' }],
          });
          continue;
        }
        // The file's own destinations (a proxy from the user's http.proxy setting is not the file's doing).
        const refused = await this.checkSecretDestinations(profile, src.kind);
        if (refused) {
          set.errors.push({ name: profile.name, file: src.file, problems: [{ file: src.file, line: profile.source?.line ?? 0, column: 1, key: `profiles.${profile.name}.baseUrl`, message: refused }] });
          continue;
        }
        set.profiles.push(withVsCodeProxy(profile, proxy));
        // Secrets too short to be masked in free text: said on the tree, next to the profile (it stays usable).
        const short = shortSecretWarnings(profile);
        if (short.length) {
          set.errors.push({ name: profile.name, file: src.file, problems: short.map((w) => ({ file: src.file, line: profile.source?.line ?? 0, column: 1, key: w.key, message: `warning: ${w.message}` })) });
        }
      }
    }
    this.log.info(`profiles: ${set.profiles.length} loaded${set.errors.length ? `, ${set.errors.length} with problems` : ''}`);
    for (const e of set.errors) for (const p of e.problems) this.log.warn(`${p.file}:${p.line}:${p.column} ${p.key} ${p.message}`);
    await vscode.commands.executeCommand('setContext', 'scim.hasProfiles', set.profiles.length > 0);
    return set;
  }
}

function baseName(file: string): string {
  return file.split(/[\\/]/).pop() || file;
}
