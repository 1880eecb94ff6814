// Request files (`*.scim`, language `scim`) in VS Code: a "Send" lens on each request, parse problems in the
// Problems panel, completion of resource paths and attribute names, and each answer in a read-only editor beside
// the file. Activation registers the providers only; what they do is in ./ui.ts, a chunk of its own
// (dist/request-files.js, scripts/build.mjs LAZY) loaded when the first request file is open or sent.
import * as vscode from 'vscode';
import { LANGUAGE, RESPONSE_SCHEME, isRequestFile, type RequestFileDeps, type RequestFiles } from './common';
import type * as Ui from './ui';

export { LANGUAGE, RESPONSE_SCHEME, type RequestFileDeps, type RequestFiles } from './common';

/** The providers of request files (lenses, completion, problems, answers); the commands are registered with the
 * others (../commands/request-files.ts) and call what this returns. */
export function registerRequestFiles(context: vscode.ExtensionContext, deps: RequestFileDeps): RequestFiles {
  let ui: Ui.RequestFilesUi | undefined;
  const load = (): Ui.RequestFilesUi => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ui ??= (require('./ui') as typeof Ui).createRequestFilesUi(deps);
    return ui;
  };
  const lensChanged = new vscode.EventEmitter<void>();
  const selector: vscode.DocumentSelector = [{ language: LANGUAGE }, { pattern: '**/*.scim' }];
  const showProblems = (doc: vscode.TextDocument): void => { if (isRequestFile(doc)) load().showProblems(doc); };
  context.subscriptions.push(
    lensChanged,
    { dispose: () => { ui?.dispose(); } },
    vscode.workspace.registerTextDocumentContentProvider(RESPONSE_SCHEME, { provideTextDocumentContent: (uri) => load().provideTextDocumentContent(uri) }),
    vscode.languages.registerCodeLensProvider(selector, {
      onDidChangeCodeLenses: lensChanged.event,
      provideCodeLenses: (doc) => load().provideCodeLenses(doc),
    }),
    vscode.languages.registerCompletionItemProvider(selector, {
      provideCompletionItems: (doc, position) => load().provideCompletionItems(doc, position),
    }, ' ', '"', '/'),
    vscode.workspace.onDidOpenTextDocument(showProblems),
    vscode.workspace.onDidChangeTextDocument((e) => showProblems(e.document)),
    vscode.workspace.onDidCloseTextDocument((d) => ui?.forget(d.uri)),
  );
  for (const d of vscode.workspace.textDocuments) showProblems(d);
  return {
    send: (uri, index) => load().send(uri, index),
    sendAll: (uri) => load().sendAll(uri),
  };
}
