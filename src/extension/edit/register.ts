// Editing resources in VS Code (issue 14, point 1): the `scim:` FileSystemProvider (./fs.ts) and the read-only
// versions a conflict shows. Called once from activation.
import * as vscode from 'vscode';
import { SCHEME } from '../resource-doc';
import type { Clients } from '../session';
import { ScimFileSystem, VERSION_SCHEME, windowUi, type EditUi } from './fs';

export interface EditingDeps {
  clients: Clients;
  log: vscode.LogOutputChannel;
  /** Fires when a `scim:` document should be read again (the tree's "Open Resource" on an open document). */
  docs?: { onDidChange: vscode.Event<vscode.Uri> };
  ui?: EditUi;
}

export function registerEditing(context: vscode.ExtensionContext, deps: EditingDeps): ScimFileSystem {
  const fs = new ScimFileSystem(deps.clients, deps.log, deps.ui ?? windowUi);
  context.subscriptions.push(
    fs,
    vscode.workspace.registerFileSystemProvider(SCHEME, fs, { isCaseSensitive: true }),
    vscode.workspace.registerTextDocumentContentProvider(VERSION_SCHEME, fs.versions),
  );
  if (deps.docs) context.subscriptions.push(deps.docs.onDidChange((uri) => void fs.refresh(uri)));
  return fs;
}
