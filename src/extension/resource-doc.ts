// Read-only virtual documents (scheme `scim`) with a resource or a discovery document as pretty JSON:
//   scim:/<profile>/<endpoint>/<id>.json       a resource, read fresh from the server
//   scim:/<profile>/<ServiceProviderConfig|ResourceTypes|Schemas>.json
import * as vscode from 'vscode';
import { failureLine } from './messages';
import type { Clients } from './session';
import type { ServiceDoc } from './tree-model';

export const SCHEME = 'scim';

export function resourceUri(profile: string, endpoint: string, id: string): vscode.Uri {
  return vscode.Uri.from({ scheme: SCHEME, path: `/${encodeURIComponent(profile)}/${encodeURIComponent(endpoint.replace(/^\/+/, ''))}/${encodeURIComponent(id)}.json` });
}

export function serviceDocUri(profile: string, doc: ServiceDoc): vscode.Uri {
  return vscode.Uri.from({ scheme: SCHEME, path: `/${encodeURIComponent(profile)}/${doc}.json` });
}

export class ScimDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;

  constructor(private readonly clients: Clients) {}

  async provideTextDocumentContent(uri: vscode.Uri, token: vscode.CancellationToken): Promise<string> {
    const parts = uri.path.replace(/^\//, '').replace(/\.json$/, '').split('/').map(decodeURIComponent);
    const abort = new AbortController();
    const sub = token.onCancellationRequested(() => abort.abort());
    try {
      const [profile = '', a = '', b] = parts;
      const client = await this.clients.get(profile);
      let value: unknown;
      if (b === undefined) {
        const d = await client.discover({ title: `Open ${a}`, signal: abort.signal });
        value = a === 'ServiceProviderConfig' ? d.serviceProviderConfig : a === 'ResourceTypes' ? d.resourceTypes : d.schemas;
      } else {
        value = await client.get(a, b, undefined, { title: `Open ${a}/${b}`, signal: abort.signal });
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
