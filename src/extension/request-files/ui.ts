// Request files (`*.scim`) in VS Code, what ./index.ts registers at activation does: a "Send" lens on each request,
// parse problems in the Problems panel, completion of resource paths and attribute names, and each answer in a
// read-only editor beside the file. A chunk of its own (dist/request-files.js, scripts/build.mjs LAZY), loaded
// when the first request file is open or sent. Sending goes through the profile's client (its one pipeline), so
// every exchange is in the trace.
import * as vscode from 'vscode';
import { isScimxError } from '../../core/errors';
import type { Profile } from '../../core/profile';
import { parseRequestFile, type RequestBlock, type RequestFile } from '../../core/request-files/parse';
import { prepareRequest, sendRequest, type PreparedRequest, type SendResult } from '../../core/request-files/send';
import { formatSendResult } from '../../core/request-files/format';
import { COMMANDS, VSCODE_COMMANDS } from '../command-ids';
import { failureLine } from '../messages';
import { RESPONSE_SCHEME, isRequestFile, type RequestFileDeps, type RequestFiles } from './common';
import { blockAtLine, bodyCompletions, lensesFor, methodCompletions, pathCompletions, whereIs, type CompletionEntry, type SchemaSource } from './model';

/** Parses a document once per version. */
class Parsed {
  private readonly cache = new WeakMap<vscode.TextDocument, { version: number; file: RequestFile }>();
  of(doc: vscode.TextDocument): RequestFile {
    const c = this.cache.get(doc);
    if (c && c.version === doc.version) return c.file;
    const file = parseRequestFile(doc.getText());
    this.cache.set(doc, { version: doc.version, file });
    return file;
  }
}

/** The answers shown, by response URI. */
class Responses implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? '(no answer yet)\n';
  }

  set(uri: vscode.Uri, text: string): void {
    this.texts.set(uri.toString(), text);
    this.emitter.fire(uri);
  }

  dispose(): void {
    this.emitter.dispose();
    this.texts.clear();
  }
}

/** `scim-response:/FILE/NAME response` — the tab shows the last segment. */
export function responseUri(doc: vscode.Uri, result: Pick<SendResult, 'name' | 'index' | 'method'>): vscode.Uri {
  const file = doc.path.split('/').pop() ?? 'request.scim';
  const label = (result.name ?? `#${result.index + 1} ${result.method}`).replace(/[/\\]/g, '∕');
  return vscode.Uri.from({ scheme: RESPONSE_SCHEME, path: `/${file}/${label} response`, query: doc.toString() });
}

/** What the registrations of ./index.ts call. */
export interface RequestFilesUi extends RequestFiles, vscode.Disposable {
  showProblems(doc: vscode.TextDocument): void;
  forget(uri: vscode.Uri): void;
  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[];
  provideCompletionItems(doc: vscode.TextDocument, position: vscode.Position): Promise<vscode.CompletionItem[]>;
  provideTextDocumentContent(uri: vscode.Uri): string;
}

export function createRequestFilesUi(deps: RequestFileDeps): RequestFilesUi {
  const parsed = new Parsed();
  const responses = new Responses();
  const problems = vscode.languages.createDiagnosticCollection('scim-requests');
  const showProblems = (doc: vscode.TextDocument) => {
    if (!isRequestFile(doc)) return;
    problems.set(doc.uri, parsed.of(doc).problems.map((p) => {
      const line = Math.max(0, p.line - 1);
      const col = Math.max(0, p.column - 1);
      const range = new vscode.Range(line, col, line, Math.max(col + 1, doc.lineAt(Math.min(line, doc.lineCount - 1)).text.length));
      const d = new vscode.Diagnostic(range, p.message, vscode.DiagnosticSeverity.Error);
      d.source = 'scim';
      return d;
    }));
  };

  /** The profile the last request went through (completion uses its client when none is chosen). */
  let lastProfile: string | undefined;
  /** The profile the file's requests go through: the active one (asked when there is none). */
  const profileFor = async (): Promise<Profile | undefined> => {
    const p = await deps.status.resolve('Select the SCIM profile to send with');
    if (p) lastProfile = p.name;
    return p;
  };

  /** Discovery of the active profile, from its client when one exists (completion asks for no secret, and never
   * waits long: discovery is read once per profile, through the pipeline, so it is in the trace). */
  const schemaSource = async (): Promise<SchemaSource | undefined> => {
    const name = deps.status.name ?? lastProfile;
    const existing = name ? deps.clients.existing(name) : undefined;
    if (!existing) return undefined;
    try {
      const client = await existing;
      const d = await Promise.race([client.discover({ title: 'Discover (completion)' }), new Promise<undefined>((r) => setTimeout(() => r(undefined), 3000))]);
      return d ? { resourceTypes: d.resourceTypes, schemas: d.schemas } : undefined;
    } catch {
      return undefined;
    }
  };

  const send = async (docArg: unknown, index?: number, all = false): Promise<SendResult[] | undefined> => {
    const editor = vscode.window.activeTextEditor;
    const uri = docArg instanceof vscode.Uri ? docArg : typeof docArg === 'string' ? vscode.Uri.parse(docArg) : editor?.document.uri;
    if (!uri) return undefined;
    const doc = await vscode.workspace.openTextDocument(uri);
    const file = parsed.of(doc);
    const blocks = all ? file.blocks
      : typeof index === 'number' ? file.blocks.filter((b) => b.index === index)
        : [blockAtLine(file, editor?.document.uri.toString() === uri.toString() ? editor.selection.active.line : 0)].filter((b): b is RequestBlock => !!b);
    if (!blocks.length) {
      void vscode.window.showWarningMessage('No SCIM request here: a request is "METHOD path", e.g. "GET Users".');
      return undefined;
    }
    const profile = await profileFor();
    if (!profile) return undefined;
    const where = vscode.workspace.asRelativePath(uri);
    let prepared: PreparedRequest[];
    try {
      prepared = blocks.map((b) => prepareRequest(profile, b, where));
    } catch (e) {
      void vscode.window.showErrorMessage(failureLine(e));
      return undefined;
    }
    const client = await deps.clients.get(profile.name);
    const results: SendResult[] = [];
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `SCIM (${profile.name})`, cancellable: true }, async (progress, token) => {
      const abort = new AbortController();
      const sub = token.onCancellationRequested(() => abort.abort());
      try {
        for (const p of prepared) {
          progress.report({ message: `${p.block.method} ${p.block.target}` });
          const r = await sendRequest(client, p, { signal: abort.signal });
          results.push(r);
          const target = responseUri(uri, r);
          responses.set(target, formatSendResult(r));
          const shown = await vscode.workspace.openTextDocument(target);
          await vscode.window.showTextDocument(shown, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true, preview: false });
          if (!r.ok) break;
        }
      } catch (e) {
        if (!(isScimxError(e) && e.code === 'cancelled')) throw e;
      } finally {
        sub.dispose();
      }
    });
    const failed = results.find((r) => !r.ok);
    if (failed) {
      const why = failed.error?.message ?? failed.diagnosis?.summary ?? `answered ${failed.status ?? '-'}`;
      const lost = failed.membership?.lost ?? [];
      const entry = failed.membership?.journalId;
      const restore = lost.length && entry ? `Restore ${lost.length} member${lost.length === 1 ? '' : 's'}` : undefined;
      void vscode.window.showErrorMessage(`${failed.name ?? `Request ${failed.index + 1}`}: ${why}`, ...(restore ? [restore] : []), 'Show Trace').then(async (c) => {
        if (c === 'Show Trace') await vscode.commands.executeCommand(COMMANDS.showTrace);
        else if (c && c === restore && entry) {
          // the same restore as a membership change's notification offers: exactly the lost members, verified
          const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `SCIM: ${restore}` }, () => client.restoreMembers(entry));
          void vscode.window.showInformationMessage(`Group ${r.groupId}: ${r.added.length} member(s) put back${r.verified ? ', verified' : ', NOT verified'}.`);
        }
      }).then(undefined, (e: unknown) => void vscode.window.showErrorMessage(failureLine(e)));
    }
    deps.log.info(`sent ${results.length} request(s) of ${where} through ${profile.name}: ${results.map((r) => r.status ?? r.error?.code ?? '-').join(', ')}`);
    return results;
  };

  return {
    showProblems,
    forget: (uri) => problems.delete(uri),
    provideCodeLenses(doc) {
      return lensesFor(parsed.of(doc)).map((l) => new vscode.CodeLens(new vscode.Range(l.line, 0, l.line, 0), l.problem
        ? { title: l.title, command: VSCODE_COMMANDS.showProblems }
        : { title: l.title, command: COMMANDS.sendRequest, arguments: [doc.uri, l.index] }));
    },
    async provideCompletionItems(doc, position) {
      const file = parsed.of(doc);
      const lines = doc.getText().split(/\r\n|\n|\r/);
      const w = whereIs(file, lines, position.line, position.character);
      let entries: CompletionEntry[] = [];
      if (w.at === 'method') entries = methodCompletions();
      else if (w.at === 'path') entries = pathCompletions(await schemaSource(), w.typed);
      else if (w.at === 'body') entries = bodyCompletions(await schemaSource(), w.block, w.text, w.offset);
      return entries.map((e) => {
        const item = new vscode.CompletionItem(e.label, e.kind === 'method' ? vscode.CompletionItemKind.Keyword
          : e.kind === 'path' ? vscode.CompletionItemKind.Folder : e.kind === 'property' ? vscode.CompletionItemKind.Property : vscode.CompletionItemKind.Value);
        item.detail = e.detail;
        if (e.insert) item.insertText = e.insert;
        return item;
      });
    },
    provideTextDocumentContent: (uri) => responses.provideTextDocumentContent(uri),
    send: (uri, index) => send(uri, typeof index === 'number' ? index : undefined),
    sendAll: (uri) => send(uri, undefined, true),
    dispose() {
      responses.dispose();
      problems.dispose();
    },
  };
}
