// SCIM Explorer: activation. Kept lean (no network, no file reads, HTTP stack not loaded): it wires the
// tree, the commands, the status bar and the log. Profiles are read just after activation (a timer, so that
// activation itself reads nothing), or sooner when the tree asks; reading asks for no secret. Clients and the
// trace panel are created on first use.
import * as vscode from 'vscode';
import { Trace } from '../core/trace';
import { registerCommands } from './commands';
import { logExchanges } from './output';
import { ProfileStore } from './profiles';
import { ScimDocuments } from './resource-doc';
import { registerEditing } from './edit/register';
import { Secrets } from './secrets';
import { Clients } from './session';
import { ProfileDiagnostics } from './profile-diagnostics';
import { registerRequestFiles } from './request-files/index';
import { ActiveProfile } from './status';
import { ScimTree } from './tree';
import { Waits } from './waits';

let cleanup: (() => Promise<void>) | undefined;

/** How long after activation the profiles are read (activation itself reads no file). */
export const READ_AFTER_ACTIVATION_MS = 300;

/** What `activate` returns: read by the extension-host tests (test/vscode), not a public API. */
export interface ScimExplorerApi {
  trace: Trace;
  tree: ScimTree;
}

export function activate(context: vscode.ExtensionContext): ScimExplorerApi {
  const t0 = performance.now();
  const log = vscode.window.createOutputChannel('SCIM', { log: true });
  const version = String((context.extension.packageJSON as { version?: string }).version ?? '0');
  const config = vscode.workspace.getConfiguration('scim');
  const maxExchanges = config.get<number>('trace.maxExchanges', 10_000);
  const maxBodyChars = Math.round(config.get<number>('trace.maxBodyMB', 32) * 1024 * 1024);
  const trace = new Trace({ maxExchanges, maxBodyChars });
  const secrets = new Secrets(context.secrets);
  const profiles = new ProfileStore(secrets, log, context.globalState);
  // Waits shown as countdowns (./waits.ts: dist/waits.js, scripts/build.mjs LAZY), made by the first wait shown or
  // command run under progress.
  let waitsMade: Waits | undefined;
  const waitsNow = (): Waits => (waitsMade ??= new Waits(log));
  const waits: Pick<Waits, 'run' | 'show'> = { run: (title, body) => waitsNow().run(title, body), show: (n) => waitsNow().show(n) };
  const clients = new Clients(profiles, trace, `scim-explorer-vscode/${version}`, (n) => waits.show(n), context.globalStorageUri.fsPath);
  const tree = new ScimTree(profiles, clients, log);
  const view = vscode.window.createTreeView('scim.explorer', { treeDataProvider: tree, canSelectMany: true, showCollapseAll: true });
  const status = new ActiveProfile(context.workspaceState, profiles);
  const problems = new ProfileDiagnostics(profiles);
  const docs = new ScimDocuments();
  const unlog = logExchanges(trace, log);

  context.subscriptions.push(
    log, profiles, tree, view, status, problems, docs, { dispose: () => waitsMade?.dispose() }, { dispose: unlog },
  );
  registerEditing(context, { clients, log, docs });
  const requestFiles = registerRequestFiles(context, { clients, status, log });
  registerCommands({ context, log, trace, secrets, profiles, clients, tree, view, status, docs, waits, requestFiles });
  cleanup = () => clients.dispose();
  // The status bar and the Problems panel need the profiles without waiting for the view to open.
  const first = setTimeout(() => void profiles.load().catch((e: unknown) => log.warn(`reading profiles: ${String(e)}`)), READ_AFTER_ACTIVATION_MS);
  context.subscriptions.push({ dispose: () => clearTimeout(first) });
  log.info(`activated in ${(performance.now() - t0).toFixed(1)} ms`);
  return { trace, tree };
}

export async function deactivate(): Promise<void> {
  await cleanup?.();
  cleanup = undefined;
}
