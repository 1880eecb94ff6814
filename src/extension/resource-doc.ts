// Read-only virtual documents (scheme `scim`) with a resource or a discovery document as pretty JSON, read fresh
// from the server; their paths (./resource-path.ts) end in the resource's name, which the editor tab shows.
import * as vscode from 'vscode';
import { failureLine } from './messages';
import { parseDocPath, resourcePath, serviceDocPath } from './resource-path';
import type { Clients } from './session';
import type { ServiceDoc } from './tree-model';

export const SCHEME = 'scim';

/** `name`: what the tab shows (the member's or resource's label); the id decides what is read. */
export function resourceUri(profile: string, endpoint: string, id: string, name?: string): vscode.Uri {
  return vscode.Uri.from({ scheme: SCHEME, path: resourcePath(profile, endpoint, id, name) });
}

export function serviceDocUri(profile: string, doc: ServiceDoc): vscode.Uri {
  return vscode.Uri.from({ scheme: SCHEME, path: serviceDocPath(profile, doc) });
}

export class ScimDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;

  constructor(private readonly clients: Clients) {}

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const target = parseDocPath(uri.path);
    const abort = new AbortController();
    const sub = token.onCancellationRequested(() => abort.abort());
    try {
      const client = await this.clients.get(target.profile);
      let value: unknown;
      if (target.kind === 'service') {
        const a = target.doc;
        const d = await client.discover({ title: `Open ${a}`, signal: abort.signal });
        value = a === 'ServiceProviderConfig' ? d.serviceProviderConfig : a === 'ResourceTypes' ? d.resourceTypes : d.schemas;
      } else {
        const { endpoint, id } = target;
        value = await client.get(endpoint, id, undefined, { title: `Open ${endpoint}/${id}`, signal: abort.signal });
      }
      return `${JSON.stringify(value, null, 2)}\n`;
    } catch (e) {
      return `${JSON.stringify({ error: failureLine(e), hint: 'Run "SCIM: Show Trace" to see what went on the wire.' }, null, 2)}\n`;
    } finally {
      sub.dispose();
    }
  }

  refresh(uri: vscode.Uri): void {
    this.emitter.fire(uri);
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
