// `${secret:NAME}` backed by VS Code SecretStorage. A missing secret is asked for once per session
// (password input box) and stored; prompts are serialized so two missing secrets never cancel each other.
import * as vscode from 'vscode';
import type { SecretResolver } from '../core/profile';
import { isValidSecretName } from './secret-refs';

const PREFIX = 'scim.secret.';

export class Secrets implements SecretResolver {
  private readonly asked = new Set<string>();
  /** Names the user entered in this session (prompt or Set Secret): a never-approved secret typed in for a
   * profile may go to that profile's host without a second question (./workspace-safety.ts). */
  readonly entered = new Set<string>();
  private prompting: Promise<unknown> = Promise.resolve();

  constructor(private readonly storage: vscode.SecretStorage) {}

  /** Fires with the secret name when one is stored or deleted (in this or another window). */
  readonly onDidChange = (listener: (name: string) => void): vscode.Disposable =>
    this.storage.onDidChange((e) => {
      if (e.key.startsWith(PREFIX)) listener(e.key.slice(PREFIX.length));
    });

  /** The stored value, never asking. */
  async stored(name: string): Promise<string | undefined> {
    return this.storage.get(PREFIX + name);
  }

  /** The stored value, else asked for once per session (a password box) and stored. */
  async get(name: string): Promise<string | undefined> {
    const stored = await this.storage.get(PREFIX + name);
    if (stored !== undefined) return stored;
    if (this.asked.has(name) || !isValidSecretName(name)) return undefined;
    this.asked.add(name);
    const next = this.prompting.then(() => this.prompt(name));
    this.prompting = next.catch(() => undefined);
    return next;
  }

  async set(name: string, value: string): Promise<void> {
    await this.storage.store(PREFIX + name, value);
    this.asked.delete(name);
    this.entered.add(name);
  }

  async has(name: string): Promise<boolean> {
    return (await this.storage.get(PREFIX + name)) !== undefined;
  }

  async delete(name: string): Promise<void> {
    await this.storage.delete(PREFIX + name);
  }

  private async prompt(name: string): Promise<string | undefined> {
    const value = await vscode.window.showInputBox({
      title: `SCIM secret "${name}"`,
      prompt: `A SCIM profile refers to \${secret:${name}}. Enter it once: it is kept in VS Code's secret storage, never in settings or files.`,
      password: true,
      ignoreFocusOut: true,
    });
    if (!value) return undefined;
    await this.set(name, value);
    return value;
  }
}
