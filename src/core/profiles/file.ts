// A profiles file (`scim-profiles.yaml`) read into resolved Profiles (../profile.ts).
//
// The file is read with the `yaml` package's Document API (positions from a LineCounter, ./reader.ts), so every
// problem names the file, line, column, dotted key and what was expected. Problems are collected, not thrown: a
// broken profile is reported (in `problems` and `broken`) and the other profiles of the file stay usable. Only a
// problem outside every profile (YAML syntax error at the top, no `profiles:` map, file too large) leaves
// `profiles` empty.
//
// Substitution, anywhere inside a string value: `${env:NAME}` (environment variable) and `${secret:NAME}`
// (the VS Code side's SecretStorage via `opts.secrets`). `$${` writes a literal `${`. A header whose value
// came from a substitution is masked in traces automatically, as are headers listed in `secretHeaders:`.
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { isMap, isScalar } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import { ConfigError, type ConfigProblem } from '../errors';
import type { Profile } from '../profile';
import { buildProfile } from './build';
import { syntaxMessage } from './syntax';
import { Ctx, describe, type Entry } from './reader';
import { learnSubstitutions } from './substitutions';
import type { ProfilesFile, ProfilesFileOptions } from './types';

export const MAX_PROFILES_FILE_BYTES = 1024 * 1024;
export const DEFAULT_PROFILES_FILE = 'scim-profiles.yaml';

/** Reads and parses a profiles file. Never throws for bad content: problems are in the result. */
export async function loadProfilesFile(path: string, opts: ProfilesFileOptions = {}): Promise<ProfilesFile> {
  const file = resolvePath(path);
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) return fileProblem(file, `${path} is not a file`);
    size = st.size;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fileProblem(file, code === 'ENOENT' ? `profiles file not found: ${path}` : `cannot read ${path}: ${(e as Error).message}`);
  }
  if (size > MAX_PROFILES_FILE_BYTES) return fileProblem(file, tooLarge(size));
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    return fileProblem(file, `cannot read ${path}: ${(e as Error).message}`);
  }
  return parseProfiles(text, file, opts);
}

/** Parses the text of a profiles file. `file` is used in messages and to resolve relative TLS file paths. */
export async function parseProfiles(text: string, file: string, opts: ProfilesFileOptions = {}): Promise<ProfilesFile> {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_PROFILES_FILE_BYTES) return fileProblem(file, tooLarge(bytes));
  const ctx = new Ctx(text, file, opts);
  const out: ProfilesFile = { file, profiles: [], problems: ctx.problems, broken: [] };
  const doc = ctx.doc;

  // Profile entries (for attributing syntax errors), found even when the document has errors.
  const top = doc.contents;
  if (top === null || (isScalar(top) && (top.value === null || top.value === ''))) {
    if (doc.errors.length === 0) {
      ctx.problem(0, 'profiles', 'the file is empty; expected a `profiles:` map with at least one profile');
      return out;
    }
  }
  const profileEntries: Entry[] = [];
  let profilesNode: YamlNode | null = null;
  const topEntries = isMap(top) ? ctx.entries(top, '') : [];
  if (isMap(top)) {
    for (const e of topEntries) {
      if (e.key === 'profiles') profilesNode = e.value;
    }
    if (isMap(profilesNode)) profileEntries.push(...ctx.entries(profilesNode, 'profiles'));
  }

  // YAML syntax errors: inside a profile they break that profile only; elsewhere the whole file.
  let fatal = false;
  const brokenBySyntax = new Set<string>();
  let shown: { line: number; owner: string | undefined } | undefined;
  for (const err of doc.errors) {
    const owner = profileEntries.find((e) => err.pos[0] >= e.start && err.pos[0] <= e.end);
    if (owner) brokenBySyntax.add(owner.key);
    else fatal = true;
    // One syntax error leaves the parser lost for the rest of its line (and, outside every profile, the rest of
    // the file): those follow-on "unexpected token" errors are noise, so only the first one is shown.
    const line = ctx.lc.linePos(err.pos[0]).line;
    if (shown && (shown.line === line || (err.code === 'UNEXPECTED_TOKEN' && (!owner || shown.owner === owner.key)))) continue;
    const { offset, message } = syntaxMessage(err.code, err.message, text, err.pos[0]);
    ctx.problem(offset, ctx.pathAt(offset), message);
    shown = { line, owner: owner?.key };
  }
  if (fatal) return finish(out, ctx, []);

  if (!isMap(top)) {
    ctx.problem(top ?? 0, '', `expected a map with a \`profiles:\` key, found ${describe(top)}`);
    return finish(out, ctx, []);
  }
  ctx.checkKeys(topEntries, ['profiles'], '');
  if (!topEntries.some((e) => e.key === 'profiles')) {
    ctx.problem(top, 'profiles', 'missing required key `profiles` (a map of profile name to profile)');
    return finish(out, ctx, []);
  }
  if (!isMap(profilesNode)) {
    ctx.problem(profilesNode ?? top, 'profiles', `expected a map of profile name to profile, found ${describe(profilesNode)}`);
    return finish(out, ctx, []);
  }
  if (profileEntries.length === 0) {
    ctx.problem(profilesNode, 'profiles', 'no profiles: add at least one, e.g. `dev:` with a `baseUrl:`');
    return finish(out, ctx, []);
  }

  const names: string[] = [];
  for (const entry of profileEntries) {
    const path = `profiles.${entry.key}`;
    names.push(entry.key);
    if (brokenBySyntax.has(entry.key)) continue;
    if (!entry.key.trim() || hasControlCharacter(entry.key)) {
      ctx.problem(entry.keyNode, path, 'a profile name must be a non-empty single-line string');
      continue;
    }
    const before = ctx.problems.length;
    ctx.secretsUsed = new Set();
    ctx.substitutions = [];
    const profile = await buildProfile(ctx, entry, path);
    if (profile && ctx.secretsUsed.size) profile.secretRefs = [...ctx.secretsUsed];
    if (profile) learnSubstitutions(profile, ctx.substitutions);
    if (profile && ctx.problems.length === before) out.profiles.push(profile);
  }
  return finish(out, ctx, profileEntries);
}

/** Picks the profile to use: by name, or the only one in the file. Throws ConfigError otherwise. */
export function selectProfile(pf: ProfilesFile, name?: string): Profile {
  if (name !== undefined) {
    const found = pf.profiles.find((p) => p.name === name);
    if (found) return found;
    const broken = pf.broken.find((b) => b.name === name);
    if (broken) throw new ConfigError(`profile "${name}" in ${pf.file} is invalid`, broken.problems);
    if (pf.problems.length && !pf.profiles.length) throw problemsError(pf);
    const all = [...pf.profiles.map((p) => p.name), ...pf.broken.map((b) => b.name)];
    throw new ConfigError(`no profile "${name}" in ${pf.file}${all.length ? ` (profiles: ${all.join(', ')})` : ''}`);
  }
  const total = pf.profiles.length + pf.broken.length;
  if (total === 1 && pf.profiles.length === 1) return pf.profiles[0] as Profile;
  if (pf.problems.length && (total <= 1 || !pf.profiles.length)) throw problemsError(pf);
  const all = [...pf.profiles.map((p) => p.name), ...pf.broken.map((b) => b.name)];
  throw new ConfigError(`${pf.file} has ${total} profiles; choose one with --profile NAME (${all.join(', ')})`);
}

/** One ConfigError for every problem of a file, or undefined when there is none. */
export function problemsError(pf: ProfilesFile): ConfigError {
  const first = pf.problems[0];
  const head = first ? formatProblem(first) : `invalid profiles file ${pf.file}`;
  const n = pf.problems.length - 1;
  const more = n > 0 ? ` (and ${n} more problem${n === 1 ? '' : 's'})` : '';
  return new ConfigError(`${head}${more}`, pf.problems);
}

/** `file:line:column: key: message`, the shape editors and terminals link. */
export function formatProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.key ? `${p.key}: ` : ''}${p.message}`;
}

function finish(out: ProfilesFile, ctx: Ctx, entries: Entry[]): ProfilesFile {
  out.problems.sort((x, y) => x.line - y.line || x.column - y.column);
  for (const e of entries) {
    const prefix = `profiles.${e.key}`;
    const mine = out.problems.filter((p) => p.key === prefix || p.key.startsWith(`${prefix}.`) || p.key.startsWith(`${prefix}[`));
    if (!mine.length || out.profiles.some((p) => p.name === e.key)) continue;
    const pos = ctx.lc.linePos(ctx.offsetOf(e.keyNode));
    out.broken.push({ name: e.key, line: pos.line, column: pos.col, problems: mine });
  }
  return out;
}

/** A character below U+0020 (a line break, a tab, NUL...): not in a profile name. */
function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) < 0x20) return true;
  return false;
}

function fileProblem(file: string, message: string): ProfilesFile {
  return { file, profiles: [], broken: [], problems: [{ file, line: 1, column: 1, key: '', message }] };
}

function tooLarge(bytes: number): string {
  return `the profiles file is ${(bytes / 1024 / 1024).toFixed(1)} MiB; at most 1 MiB is read (is it the right file?)`;
}
