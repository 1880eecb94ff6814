// Documents of the `scim:` scheme (a resource, or a discovery document): their URIs, whose paths
// (./resource-path.ts) end in the resource's name, which the editor tab shows, and the signal to read one again.
import * as vscode from 'vscode';
import { resourcePath, serviceDocPath } from './resource-path';
import type { ServiceDoc } from './tree-model';

export const SCHEME = 'scim';
/** Read-only versions of a resource a conflict shows (the base as read, the server's now): ./edit/fs.ts. */
export const VERSION_SCHEME = 'scim-version';

/** `name`: what the tab shows (the member's or resource's label); the id decides what is read. */
export function resourceUri(profile: string, endpoint: string, id: string, name?: string): vscode.Uri {
  return vscode.Uri.from({ scheme: SCHEME, path: resourcePath(profile, endpoint, id, name) });
}

export function serviceDocUri(profile: string, doc: ServiceDoc): vscode.Uri {
  return vscode.Uri.from({ scheme: SCHEME, path: serviceDocPath(profile, doc) });
}

/** Tells the `scim:` file system (./edit/fs.ts, which reads and writes these documents) that one should be read
 * again: the tree's "Open Resource" on a document already open. */
export class ScimDocuments implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;

  refresh(uri: vscode.Uri): void {
    this.emitter.fire(uri);
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
