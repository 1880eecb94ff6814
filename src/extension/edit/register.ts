// Editing resources in VS Code (issue 14, point 1): the `scim:` FileSystemProvider (./fs.ts) and the read-only
// versions a conflict shows. Called once from activation, which registers them only: ./fs.ts (with the core's
// src/core/edit) is a chunk of its own (dist/edit.js, scripts/build.mjs LAZY), made on the first call VS Code
// makes to the provider (a `scim:` document opened).
import * as vscode from 'vscode';
import { SCHEME, VERSION_SCHEME } from '../resource-doc';
import type { Clients } from '../session';
import type * as Fs from './fs';

export interface EditingDeps {
  clients: Clients;
  log: vscode.LogOutputChannel;
  /** Fires when a `scim:` document should be read again (the tree's "Open Resource" on an open document). */
  docs?: { onDidChange: vscode.Event<vscode.Uri> };
  ui?: Fs.EditUi;
}

/** The provider VS Code holds: each call goes to the ScimFileSystem, made on the first one. */
class OnFirstUse implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.emitter.event;
  private made?: Fs.ScimFileSystem;

  constructor(private readonly deps: EditingDeps) {}

  get fs(): Fs.ScimFileSystem {
    if (!this.made) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { ScimFileSystem, windowUi } = require('./fs') as typeof Fs;
      this.made = new ScimFileSystem(this.deps.clients, this.deps.log, this.deps.ui ?? windowUi);
      this.made.onDidChangeFile((e) => this.emitter.fire(e));
    }
    return this.made;
  }

  watch(): vscode.Disposable {
    return this.fs.watch();
  }
  stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    return this.fs.stat(uri);
  }
  readDirectory(): Array<[string, vscode.FileType]> {
    return this.fs.readDirectory();
  }
  createDirectory(uri: vscode.Uri): void {
    this.fs.createDirectory(uri);
  }
  readFile(uri: vscode.Uri): Promise<Uint8Array> {
    return this.fs.readFile(uri);
  }
  writeFile(uri: vscode.Uri, content: Uint8Array): Promise<void> {
    return this.fs.writeFile(uri, content);
  }
  delete(uri: vscode.Uri): void {
    this.fs.delete(uri);
  }
  rename(oldUri: vscode.Uri): void {
    this.fs.rename(oldUri);
  }
  dispose(): void {
    this.made?.dispose();
    this.emitter.dispose();
  }
}

export function registerEditing(context: vscode.ExtensionContext, deps: EditingDeps): vscode.FileSystemProvider {
  const fs = new OnFirstUse(deps);
  context.subscriptions.push(
    fs,
    vscode.workspace.registerFileSystemProvider(SCHEME, fs, { isCaseSensitive: true }),
    vscode.workspace.registerTextDocumentContentProvider(VERSION_SCHEME, { provideTextDocumentContent: (uri) => fs.fs.versions.provideTextDocumentContent(uri) }),
  );
  if (deps.docs) context.subscriptions.push(deps.docs.onDidChange((uri) => void fs.fs.refresh(uri)));
  return fs;
}
