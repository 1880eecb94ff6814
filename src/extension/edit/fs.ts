// Resources as editable JSON documents: a FileSystemProvider on the `scim:` scheme (it replaces the read-only
// TextDocumentContentProvider of ../resource-doc.ts; the paths are the same, see ../resource-path.ts, so tabs
// are named by userName / displayName). Discovery documents stay read-only.
//
// Reading: the resource is read once when opened (a Group with its members) and kept as the base of the next
// save; `stat` never reads again (VS Code compares mtimes before a save: a fresh read there would turn every
// save into VS Code's own "file is newer" dialog). A refresh (the tree's "Open Resource" on an open, unchanged
// document, or after a save) reads again and tells VS Code, which then shows the new version.
//
// Saving: the minimal PatchOp from the base to the edited text (core, src/core/edit), shown in a modal for
// confirmation, sent with If-Match when the provider gives ETags, verified by reading back, reported. A change
// made on the server meanwhile is never overwritten: the compare of the server's now (left) and yours (right)
// opens, the base stays one click away, and the save fails; saving again sends yours against the server's now.
import * as vscode from 'vscode';
import type { EditBase, EditOutcome, EditPlan } from '../../core/edit/edit';
import type { ScimClient } from '../../core/scim/client';
import type { ScimResource } from '../../core/scim/types';
import { VERSION_SCHEME } from '../resource-doc';
import { applyEdit, describePlan, editSummary, formatPlan, planEdit, readForEdit } from '../../core/edit/edit';
import { failureLine } from '../messages';
import { parseDocPath, tabName } from '../resource-path';
import type { Clients } from '../session';
import { VSCODE_COMMANDS } from '../command-ids';

export { VERSION_SCHEME } from '../resource-doc';

interface Entry {
  text: Uint8Array;
  mtime: number;
  /** The resource as read (a resource document), the base of the next save. */
  base?: EditBase;
  /** The version the document shows was made from: the base, except after a conflict (then the base is the
   * server's now, and the document still the user's version of the older one). */
  madeFrom?: ScimResource;
  readonly: boolean;
}

/** What a save needs from the UI: a confirmation, and the words of the outcome (tests replace them). */
export interface EditUi {
  confirm(title: string, detail: string): Promise<boolean>;
  info(message: string): void;
  warn(message: string, ...actions: Array<{ title: string; run: () => unknown }>): void;
}

export const windowUi: EditUi = {
  async confirm(title, detail) {
    return (await vscode.window.showWarningMessage(title, { modal: true, detail }, 'Send')) === 'Send';
  },
  info(message) {
    void vscode.window.showInformationMessage(message);
  },
  warn(message, ...actions) {
    void vscode.window.showWarningMessage(message, ...actions.map((a) => a.title)).then((pick) => actions.find((a) => a.title === pick)?.run());
  },
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const pretty = (v: unknown): Uint8Array => encoder.encode(`${JSON.stringify(v, null, 2)}\n`);

/** Read-only documents of other versions of a resource (the base as read, the server's now) for a compare. */
export class VersionDocuments implements vscode.TextDocumentContentProvider {
  private readonly texts = new Map<string, string>();
  private seq = 0;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '';
  }

  add(label: string, name: string, value: unknown): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: VERSION_SCHEME, path: `/${++this.seq}/${tabName(`${name} (${label})`, 'resource')}.json` });
    this.texts.set(uri.toString(), `${JSON.stringify(value, null, 2)}\n`);
    return uri;
  }
}

export class ScimFileSystem implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.emitter.event;
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry>>();
  private clock = 0;
  readonly versions = new VersionDocuments();

  constructor(private readonly clients: Clients, private readonly log: vscode.LogOutputChannel, private readonly ui: EditUi = windowUi) {}

  private tick(): number {
    this.clock = Math.max(this.clock + 1, Date.now());
    return this.clock;
  }

  private isFile(uri: vscode.Uri): boolean {
    return uri.path.endsWith('.json');
  }

  /** Reads the document from the server (one read at a time per document). */
  private load(uri: vscode.Uri): Promise<Entry> {
    const key = uri.toString();
    let p = this.loading.get(key);
    if (!p) {
      p = this.read(uri).finally(() => this.loading.delete(key));
      this.loading.set(key, p);
    }
    return p;
  }

  private async read(uri: vscode.Uri): Promise<Entry> {
    const target = parseDocPath(uri.path);
    let entry: Entry;
    try {
      const client = await this.clients.get(target.profile);
      if (target.kind === 'service') {
        const a = target.doc;
        const d = await client.discover({ title: `Open ${a}` });
        const value = a === 'ServiceProviderConfig' ? d.serviceProviderConfig : a === 'ResourceTypes' ? d.resourceTypes : d.schemas;
        entry = { text: pretty(value), mtime: this.tick(), readonly: true };
      } else {
        const base = await readForEdit(client, target.endpoint, target.id, { title: `Open ${target.endpoint}/${target.id}` });
        entry = { text: pretty(base.resource), mtime: this.tick(), base, readonly: false };
      }
    } catch (e) {
      entry = { text: pretty({ error: failureLine(e), hint: 'Run "SCIM: Show Trace" to see what went on the wire.' }), mtime: this.tick(), readonly: true };
    }
    this.entries.set(uri.toString(), entry);
    return entry;
  }

  private async entry(uri: vscode.Uri): Promise<Entry> {
    return this.entries.get(uri.toString()) ?? this.load(uri);
  }

  /** Reads the document again and lets VS Code show it (an open document with unsaved changes is left alone). */
  async refresh(uri: vscode.Uri): Promise<void> {
    if (uri.scheme !== 'scim' || !this.isFile(uri)) return;
    if (vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString() && d.isDirty)) return;
    await this.load(uri);
    this.emitter.fire([{ type: vscode.FileChangeType.Changed, uri }]);
  }

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    if (!this.isFile(uri)) return { type: vscode.FileType.Directory, ctime: 0, mtime: 0, size: 0 };
    const e = await this.entry(uri);
    return { type: vscode.FileType.File, ctime: e.mtime, mtime: e.mtime, size: e.text.byteLength, ...(e.readonly ? { permissions: vscode.FilePermission.Readonly } : {}) };
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    if (!this.isFile(uri)) throw vscode.FileSystemError.FileIsADirectory(uri);
    return (await this.entry(uri)).text;
  }

  readDirectory(): Array<[string, vscode.FileType]> {
    return [];
  }

  createDirectory(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  delete(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  rename(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  async writeFile(uri: vscode.Uri, content: Uint8Array): Promise<void> {
    const e = await this.entry(uri);
    if (e.readonly || !e.base) throw vscode.FileSystemError.NoPermissions('This SCIM document is read-only (only users, groups and other resources can be edited).');
    const base = e.base;
    const name = decodeURIComponent(uri.path.split('/').pop() ?? '').replace(/\.json$/, '');
    let yours: Record<string, unknown>;
    try {
      const v = JSON.parse(decoder.decode(content)) as unknown;
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('the document must be one JSON object (the resource)');
      yours = v as Record<string, unknown>;
    } catch (err) {
      throw new Error(`Not saved, nothing sent: ${name} is not valid JSON (${(err as Error).message}).`, { cause: err });
    }
    const target = parseDocPath(uri.path);
    const client = await this.clients.get(target.profile);
    let plan: EditPlan;
    try {
      plan = await planEdit(client, base, yours, { title: `Plan edit of ${base.endpoint}/${base.id}` }, e.madeFrom ? { madeFrom: e.madeFrom } : {});
    } catch (err) {
      const line = failureLine(err);
      throw new Error(/^Nothing sent/.test(line) ? `Not saved. ${line}` : `Not saved, nothing sent: ${line}`, { cause: err });
    }
    if (plan.method === 'none') {
      this.entries.set(uri.toString(), { ...e, text: content, mtime: this.tick() });
      this.ui.info(`${name}: nothing changed; nothing sent.`);
      return;
    }
    const described = describePlan(plan);
    const ok = await this.ui.confirm(`Save ${name} to ${target.profile}? This sends:`, formatPlan(`${base.endpoint}/${base.id}`, described));
    if (!ok) throw new Error('Not saved: cancelled, nothing sent.');
    let outcome: EditOutcome;
    try {
      outcome = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Saving ${name}…`, cancellable: true },
        (_p, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          return applyEdit(client, plan, {}, { title: `Edit ${name} (${base.endpoint}/${base.id})`, signal: abort.signal });
        },
      );
    } catch (err) {
      throw new Error(`Not saved: ${failureLine(err)}`, { cause: err });
    }
    if (outcome.kind === 'conflict') {
      await this.conflict(uri, name, e, outcome.server, outcome.base, outcome.message);
      throw new Error(`Not saved: ${outcome.message} The compare shows the server's now (left) and yours (right); save again to send yours against the server's now.`);
    }
    if (outcome.kind === 'unchanged') {
      this.ui.info(`${name}: nothing changed; nothing sent.`);
      return;
    }
    const after: ScimResource = outcome.after;
    // the members of a Group: the base keeps them (the read back leaves them out)
    const resource = base.kind === 'group' && !('members' in after) ? await this.withMembers(client, base, after) : after;
    this.entries.set(uri.toString(), { text: pretty(resource), mtime: this.tick(), base: { ...base, resource, etag: resource.meta?.version ?? undefined }, readonly: false });
    const summary = editSummary(outcome);
    this.log.info(`saved ${base.endpoint}/${base.id} (${target.profile}): ${summary}`);
    if (outcome.verified) this.ui.info(`Saved ${name}: ${summary}.`);
    else this.ui.warn(`Saved ${name}, but ${summary}. Run "SCIM: Show Trace" to see the exchanges.`);
    // once VS Code has taken the save, show the server's version
    setTimeout(() => {
      const cur = this.entries.get(uri.toString());
      if (!cur) return;
      this.entries.set(uri.toString(), { ...cur, mtime: this.tick() });
      this.emitter.fire([{ type: vscode.FileChangeType.Changed, uri }]);
    }, 300);
  }

  private async withMembers(client: ScimClient, base: EditBase, after: ScimResource): Promise<ScimResource> {
    try {
      return (await readForEdit(client, base.endpoint, base.id, { title: `Read ${base.endpoint}/${base.id} after saving` })).resource;
    } catch (err) {
      this.log.warn(`re-reading ${base.endpoint}/${base.id} with its members: ${failureLine(err)}`);
      return after;
    }
  }

  /** The compare of the server's now and yours; the base as read one click away; the next save against now. */
  private async conflict(uri: vscode.Uri, name: string, e: Entry, server: ScimResource, base: ScimResource, message: string): Promise<void> {
    const serverUri = this.versions.add("server's now", name, server);
    const baseUri = this.versions.add('as read', name, base);
    if (e.base) this.entries.set(uri.toString(), { ...e, base: { ...e.base, resource: server, etag: server.meta?.version ?? undefined }, madeFrom: e.madeFrom ?? e.base.resource });
    this.log.warn(`conflict saving ${uri.path}: ${message}`);
    await vscode.commands.executeCommand(VSCODE_COMMANDS.diff, serverUri, uri, `${name}: server's now ↔ yours`, { preview: false });
    this.ui.warn(`${name} was changed on the server since you opened it: nothing was overwritten. The compare shows the server's now and yours.`, {
      title: 'Show Base (as read)',
      run: () => vscode.window.showTextDocument(baseUri, { preview: false }),
    });
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
