// Pure logic behind the profile store and its faces (no `vscode` import, unit-tested): which profiles changed
// between two reads (only those refresh), the Problems-panel ranges of a profiles file's problems, and the
// status bar's text for the active profile.
import type { ConfigProblem } from '../core/errors';
import type { Profile } from '../core/profile';

/** Stands in for a `${secret:NAME}` that is not stored yet: a profile is listed without asking for anything;
 * the secret is asked for when the profile is first used (ProfileStore.forUse). Never sent anywhere. */
export const SECRET_NOT_SET = 'scim-secret-not-set';

/** What a profile is, for "did it change": everything but where it is written (a line moved by an edit above it). */
export function profileFingerprint(p: Profile): string {
  const { source: _source, ...rest } = p;
  return JSON.stringify(rest);
}

/** Names of the profiles added, removed or changed between two reads (name → fingerprint). */
export function changedProfiles(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): Set<string> {
  const out = new Set<string>();
  for (const [name, fp] of after) if (before.get(name) !== fp) out.add(name);
  for (const name of before.keys()) if (!after.has(name)) out.add(name);
  return out;
}

/** A squiggle: 0-based, end exclusive. */
export interface ProblemRange {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  message: string;
  /** Dotted key of the problem (shown as the diagnostic's code). */
  key: string;
}

/**
 * Where a problem's squiggle goes in the file's text: from its line:column to the end of the word there (a key up
 * to its `:`, a value up to the end of the line, without a trailing comment), at least one character. A problem
 * with no position (line 0) underlines the first line.
 */
export function problemRanges(problems: readonly ConfigProblem[], text: string): ProblemRange[] {
  const lines = text.split(/\r?\n/);
  return problems.map((p) => {
    const line = Math.max(0, Math.min(lines.length - 1, (p.line || 1) - 1));
    const src = lines[line] ?? '';
    const column = p.line ? Math.max(0, Math.min(src.length, (p.column || 1) - 1)) : 0;
    const rest = src.slice(column);
    let len: number;
    const key = /^(?:"[^"]*"|'[^']*'|[^\s:#"'][^:#]*?)(?=\s*:(?:\s|$))/.exec(rest);
    if (key) len = key[0].length;
    else {
      const value = rest.replace(/\s+#.*$/, '').replace(/\s+$/, '');
      len = value.length;
    }
    if (!p.line) len = src.length;
    const end = Math.max(column + Math.max(len, 1), column + 1);
    return { line, column, endLine: line, endColumn: end, message: p.message, key: p.key };
  });
}

/** The status bar item's text and tooltip. */
export function statusView(state: {
  loaded: boolean; profiles: ReadonlyArray<Pick<Profile, 'name' | 'baseUrl' | 'tls'>>; chosen?: string;
}): { text: string; tooltip: string; active?: string; warning: boolean } {
  const icon = '$(server-environment)';
  if (!state.loaded) return { text: `${icon} SCIM`, tooltip: 'Reading SCIM profiles…', warning: false };
  const byName = state.chosen !== undefined ? state.profiles.find((p) => p.name === state.chosen) : undefined;
  const only = state.profiles.length === 1 ? state.profiles[0] : undefined;
  const active = byName ?? (state.chosen === undefined || !state.profiles.some((p) => p.name === state.chosen) ? only : undefined);
  if (active) {
    const insecure = active.tls.insecure;
    return {
      text: `${icon} SCIM: ${active.name}`, active: active.name, warning: insecure,
      tooltip: `Active SCIM profile: ${active.name} (${active.baseUrl})${insecure ? '\nTLS verification off: certificates are NOT checked' : ''}`
        + `${state.profiles.length > 1 ? `\n${state.profiles.length} profiles` : ''}\nClick to change`,
    };
  }
  if (!state.profiles.length) return { text: `${icon} SCIM: no profile`, tooltip: 'No SCIM profiles yet: click to create a profiles file or start the local sandbox', warning: false };
  const missing = state.chosen !== undefined ? `"${state.chosen}" is no longer defined. ` : '';
  return {
    text: `${icon} SCIM: choose a profile (${state.profiles.length})`, warning: false,
    tooltip: `${missing}${state.profiles.length} SCIM profiles: ${state.profiles.map((p) => p.name).join(', ')}\nClick to choose the active one`,
  };
}

/** What "SCIM: Create Profiles File" says: it never overwrites, and says so when the file was there already. */
export function createdProfilesFileMessage(file: string, existed: boolean): string {
  return existed
    ? `${file} already exists: opened it (nothing was written).`
    : `Created ${file}: set baseUrl to your service. Its \${secret:…} values are asked for when the profile is first used (or store them now with "SCIM: Set Secret…").`;
}
