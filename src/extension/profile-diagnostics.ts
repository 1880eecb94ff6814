// Profiles-file problems in the Problems panel: one diagnostic per problem, squiggled at its line:column in the
// file (ranges from ./profile-set.ts), replaced after every read of the profiles and cleared when fixed.
import * as vscode from 'vscode';
import type { ProfileSet, ProfileStore } from './profiles';
import { problemRanges } from './profile-set';

export class ProfileDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('scim-profiles');
  private readonly sub: vscode.Disposable;

  constructor(profiles: ProfileStore) {
    this.sub = profiles.onDidLoad((set) => this.show(set));
  }

  show(set: ProfileSet): void {
    this.collection.clear();
    for (const f of set.files) {
      if (!f.problems.length) continue;
      const diagnostics = problemRanges(f.problems, f.text).map((r) => {
        const d = new vscode.Diagnostic(new vscode.Range(r.line, r.column, r.endLine, r.endColumn), r.message, vscode.DiagnosticSeverity.Error);
        d.source = 'SCIM profiles';
        if (r.key) d.code = r.key;
        return d;
      });
      this.collection.set(vscode.Uri.file(f.file), diagnostics);
    }
  }

  dispose(): void {
    this.sub.dispose();
    this.collection.dispose();
  }
}
