// What a workspace may make the extension do with your secrets (no `vscode` import, unit-tested):
// - in an untrusted workspace, workspace profiles files are not read at all (only user settings and session
//   profiles are used) until the workspace is trusted;
// - a stored `${secret:NAME}` is sent only to origins it was approved for. Approvals are remembered per secret
//   name (the extension keeps them in globalState, never in settings). A profile from a workspace file that
//   would send a secret to an origin not yet approved makes the extension ask first ("Send secret X to
//   https://new.host?" Allow / Cancel); Cancel leaves that profile in an error state.
// - an `${env:NAME}` value is treated the same way (a workspace file could send any environment variable to
//   its host): approvals for it are kept under `env:NAME` (secret names cannot hold a colon).
import type { Profile } from '../core/profile';

// ---- workspace trust ----------------------------------------------------------------------------

export interface WorkspaceSourcesDecision {
  /** Read the workspace's profiles files. */
  readWorkspaceFiles: boolean;
  /** Watch them for changes. */
  watch: boolean;
  /** A line shown at the top of the tree, when files are held back. */
  notice?: string;
}

export const UNTRUSTED_NOTICE = 'Workspace profiles files are ignored until you trust this workspace.';

export function workspaceSources(ws: { trusted: boolean; folders: number }): WorkspaceSourcesDecision {
  if (ws.folders === 0) return { readWorkspaceFiles: false, watch: false };
  if (!ws.trusted) return { readWorkspaceFiles: false, watch: false, notice: UNTRUSTED_NOTICE };
  return { readWorkspaceFiles: true, watch: true };
}

// ---- secret approvals ---------------------------------------------------------------------------

/** Secret name -> origins (`https://host:port`) it may be sent to. */
export type Approvals = Record<string, string[]>;

export const APPROVALS_KEY = 'scim.secretApprovals';

/** Where a profile comes from: a workspace file is the one that may have been written by someone else. */
export type SourceKind = 'workspace' | 'user' | 'session';

/** A stored value from globalState, checked (anything malformed counts as no approval). */
export function readApprovals(stored: unknown): Approvals {
  const out: Approvals = {};
  if (!stored || typeof stored !== 'object' || Array.isArray(stored)) return out;
  for (const [name, origins] of Object.entries(stored as Record<string, unknown>)) {
    if (!Array.isArray(origins)) continue;
    const list = origins.filter((o): o is string => typeof o === 'string' && isOrigin(o));
    if (list.length) out[name] = [...new Set(list)];
  }
  return out;
}

function isOrigin(s: string): boolean {
  try {
    return new URL(s).origin === s;
  } catch {
    return false;
  }
}

export function approve(approvals: Approvals, secret: string, origin: string): Approvals {
  const list = approvals[secret] ?? [];
  return list.includes(origin) ? approvals : { ...approvals, [secret]: [...list, origin] };
}

/**
 * Origins the profile's secrets may travel to: the base URL's origin; the OAuth token URL's origin (the client
 * secret goes there); and, for plain-http destinations, the proxy (it sees everything in clear text).
 */
export function secretDestinations(p: Pick<Profile, 'baseUrl' | 'auth' | 'proxy'>): string[] {
  const out: string[] = [];
  const add = (url: string): void => {
    try {
      const o = new URL(url).origin;
      if (o !== 'null' && !out.includes(o)) out.push(o);
    } catch { /* an invalid URL is reported by the parser */ }
  };
  add(p.baseUrl);
  if (p.auth.type === 'oauth2') add(p.auth.tokenUrl);
  if (p.proxy && out.some((o) => o.startsWith('http:'))) add(p.proxy);
  return out;
}

export interface SecretUse {
  secret: string;
  origin: string;
}

export type UseDecision =
  /** Already approved for this origin. */
  | { kind: 'allowed' }
  /** Approve without asking, and remember: the user's own settings or the session (sandbox), or a secret the
   * user has just entered for this very profile and that was never approved for anything else. */
  | { kind: 'record' }
  /** Ask the user. */
  | { kind: 'ask'; approvedFor: string[] }
  /** Asked before in this session and refused: keep refusing without asking again. */
  | { kind: 'denied' };

export interface DecideContext {
  source: SourceKind;
  /** Secrets the user entered (prompt or Set Secret) in this session. */
  enteredNow: ReadonlySet<string>;
  /** `secret\norigin` pairs refused in this session. */
  denied: ReadonlySet<string>;
}

export function deniedKey(use: SecretUse): string {
  return `${use.secret}\n${use.origin}`;
}

export function decideSecretUse(approvals: Approvals, use: SecretUse, ctx: DecideContext): UseDecision {
  const approvedFor = approvals[use.secret] ?? [];
  if (approvedFor.includes(use.origin)) return { kind: 'allowed' };
  if (ctx.source !== 'workspace') return { kind: 'record' };
  if (ctx.denied.has(deniedKey(use))) return { kind: 'denied' };
  if (approvedFor.length === 0 && ctx.enteredNow.has(use.secret)) return { kind: 'record' };
  return { kind: 'ask', approvedFor };
}

/** The approval name of an `${env:NAME}` value. */
export function envSecretName(name: string): string {
  return `env:${name}`;
}

function describeUse(secret: string): { what: string; ref: string } {
  return secret.startsWith('env:')
    ? { what: `environment variable ${secret.slice(4)}`, ref: `the value of \${${secret}}` }
    : { what: `secret ${secret}`, ref: `the stored secret \${secret:${secret}}` };
}

/** Every (secret, destination) pair a profile would use: its `${secret:}` and its `${env:}` values. */
export function secretUses(p: Pick<Profile, 'baseUrl' | 'auth' | 'proxy' | 'secretRefs' | 'envRefs'>): SecretUse[] {
  const uses: SecretUse[] = [];
  const names = [...(p.secretRefs ?? []), ...(p.envRefs ?? []).map(envSecretName)];
  for (const secret of names) for (const origin of secretDestinations(p)) uses.push({ secret, origin });
  return uses;
}

/** The modal's text: names the secret, the new host, the profile and where the secret was approved before. */
export function askText(use: SecretUse, profile: { name: string; source?: { file: string; line: number } }, approvedFor: string[]): { message: string; detail: string } {
  const from = profile.source ? ` (${profile.source.file}:${profile.source.line})` : '';
  const before = approvedFor.length ? `It was approved for ${approvedFor.join(', ')} only.` : 'It was not approved for any host yet.';
  const { what, ref } = describeUse(use.secret);
  return {
    message: `Send ${what} to ${use.origin}?`,
    detail: `Profile "${profile.name}"${from} from a workspace profiles file sends ${ref} to ${use.origin}. ${before} Allow only if you trust this file and this host.`,
  };
}

/** The problem shown on the profile's tree node after Cancel. */
export function deniedMessage(use: SecretUse): string {
  return `${describeUse(use.secret).what} was not approved for ${use.origin}, so this profile is not used (edit the file or reload the window to be asked again)`;
}
