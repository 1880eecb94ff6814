// The active profile: remembered per workspace, shown in the status bar, used by palette commands
// that need a profile and got none from the tree.
import * as vscode from 'vscode';
import type { Profile } from '../core/profile';
import type { ProfileStore } from './profiles';
import { hostOf } from './tree-model';

const KEY = 'scim.activeProfile';

export class ActiveProfile implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('scim.activeProfile', vscode.StatusBarAlignment.Left, 10);
  private readonly subs: vscode.Disposable[];
  /** The newest refresh: only it may draw. */
  private drawn = 0;

  constructor(private readonly state: vscode.Memento, private readonly profiles: ProfileStore) {
    this.item.name = 'SCIM Active Profile';
    this.item.command = 'scim.selectProfile';
    this.render(undefined);
    this.item.show();
    // Profiles are read when the tree (or a command) first asks, never here: render once they are.
    this.subs = [profiles.onDidChange(() => void this.refresh()), profiles.onDidLoad(() => void this.refresh())];
  }

  get name(): string | undefined {
    return this.state.get<string>(KEY);
  }

  async set(name: string): Promise<void> {
    await this.state.update(KEY, name);
    await this.refresh();
  }

  /** The active profile, or the only one, or one the user picks; undefined when cancelled/none. */
  async resolve(title = 'Select a SCIM profile'): Promise<Profile | undefined> {
    const { profiles } = await this.profiles.load();
    const active = profiles.find((p) => p.name === this.name);
    if (active) return active;
    if (profiles.length === 1) return profiles[0];
    return this.pick(title);
  }

  async pick(title = 'Select Active Profile'): Promise<Profile | undefined> {
    const { profiles } = await this.profiles.load();
    if (!profiles.length) {
      const choice = await vscode.window.showInformationMessage('No SCIM profiles yet.', 'Create Profiles File', 'Start Local Sandbox');
      if (choice === 'Create Profiles File') await vscode.commands.executeCommand('scim.createProfilesFile');
      if (choice === 'Start Local Sandbox') await vscode.commands.executeCommand('scim.startSandbox');
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      profiles.map((p) => ({ label: p.name, description: hostOf(p.baseUrl), detail: p.source ? `${p.source.file}:${p.source.line}` : undefined, profile: p })),
      { title, placeHolder: 'Profile' },
    );
    if (picked) await this.set(picked.profile.name);
    return picked?.profile;
  }

  async refresh(): Promise<void> {
    // Refreshes overlap (a reload, a choice): only the newest one may draw, or a slow one started before a
    // choice would draw the state from before it.
    const ticket = ++this.drawn;
    const name = this.name;
    if (!name) {
      // No choice made yet: a workspace with one profile has an obvious active one.
      const { profiles } = await this.profiles.load().catch(() => ({ profiles: [] as Profile[] }));
      if (ticket === this.drawn) this.render(profiles.length === 1 ? profiles[0] : undefined);
      return;
    }
    const profile = await this.profiles.get(name).catch(() => undefined);
    if (ticket === this.drawn) this.render(profile ?? null);
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.item.dispose();
  }

  private render(profile: Profile | null | undefined): void {
    if (profile) {
      this.item.text = `$(server-environment) SCIM: ${profile.name}`;
      this.item.tooltip = `Active SCIM profile: ${profile.name} (${profile.baseUrl})${profile.tls.insecure ? '\nTLS verification off: certificates are NOT checked' : ''}\nClick to change`;
      this.item.backgroundColor = profile.tls.insecure ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    } else {
      this.item.text = `$(server-environment) SCIM: ${profile === null ? `${this.name} (missing)` : 'no profile'}`;
      this.item.tooltip = 'Select the active SCIM profile';
      this.item.backgroundColor = undefined;
    }
  }
}
