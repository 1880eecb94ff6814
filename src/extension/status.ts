// The active profile: remembered per workspace, shown in the status bar, used by palette commands
// that need a profile and got none from the tree.
import * as vscode from 'vscode';
import type { Profile } from '../core/profile';
import type { ProfileStore } from './profiles';
import { statusView } from './profile-set';
import { hostOf } from './tree-model';
import { COMMANDS } from './command-ids';

const KEY = 'scim.activeProfile';

export class ActiveProfile implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('scim.activeProfile', vscode.StatusBarAlignment.Left, 10);
  private readonly subs: vscode.Disposable[];
  /** The newest draw: a slow refresh started before a newer read must not draw over it. */
  private drawn = 0;

  constructor(private readonly state: vscode.Memento, private readonly profiles: ProfileStore) {
    this.item.name = 'SCIM Active Profile';
    this.item.command = COMMANDS.selectProfile;
    this.render(undefined);
    this.item.show();
    // Profiles are read right after activation (extension.ts), never during it: render each time a read ends.
    this.subs = [profiles.onDidLoad((set) => { this.drawn++; this.render(set.profiles); })];
  }

  get name(): string | undefined {
    return this.state.get<string>(KEY);
  }

  async set(name: string): Promise<void> {
    await this.state.update(KEY, name);
    await this.refresh();
  }

  /** The active profile (chosen, or the only one), or one the user picks; undefined when cancelled/none. */
  async resolve(title = 'Select a SCIM profile'): Promise<Profile | undefined> {
    const { profiles } = await this.profiles.load();
    const active = statusView({ loaded: true, profiles, chosen: this.name }).active;
    const found = profiles.find((p) => p.name === active);
    if (found) return found;
    return this.pick(title);
  }

  async pick(title = 'Select Active Profile'): Promise<Profile | undefined> {
    const { profiles } = await this.profiles.load();
    if (!profiles.length) {
      const choice = await vscode.window.showInformationMessage('No SCIM profiles yet.', 'Create Profiles File', 'Start Local Sandbox');
      if (choice === 'Create Profiles File') await vscode.commands.executeCommand(COMMANDS.createProfilesFile);
      if (choice === 'Start Local Sandbox') await vscode.commands.executeCommand(COMMANDS.startSandbox);
      return undefined;
    }
    const current = statusView({ loaded: true, profiles, chosen: this.name }).active;
    const picked = await vscode.window.showQuickPick(
      profiles.map((p) => ({
        label: p.name, description: `${hostOf(p.baseUrl)}${p.name === current ? ' · active' : ''}`,
        detail: p.source ? `${p.source.file}:${p.source.line}` : undefined, picked: p.name === current, profile: p,
      })),
      { title, placeHolder: 'Profile' },
    );
    if (picked) await this.set(picked.profile.name);
    return picked?.profile;
  }

  /** Draws from the profiles as last read (reads them if nothing has yet). */
  async refresh(): Promise<void> {
    const ticket = ++this.drawn;
    const set = await this.profiles.load().catch(() => undefined);
    if (ticket === this.drawn) this.render(set?.profiles ?? []);
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.item.dispose();
  }

  /** `undefined`: not read yet. */
  private render(profiles: readonly Profile[] | undefined): void {
    const v = statusView({ loaded: profiles !== undefined, profiles: profiles ?? [], chosen: this.name });
    this.item.text = v.text;
    this.item.tooltip = v.tooltip;
    this.item.backgroundColor = v.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
  }
}
