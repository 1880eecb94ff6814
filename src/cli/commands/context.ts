// What every `scimx` command gets (CommandContext), and what several share: usage errors, option values, and
// TYPE → endpoint.
import { ScimxError } from '../../core/errors';
import type { Profile } from '../../core/profile';
import type { Trace } from '../../core/trace';
import type { ScimClient } from '../../core/scim/client';

export interface CommandContext {
  profile: Profile;
  trace: Trace;
  io: {
    env: NodeJS.ProcessEnv; stderrIsTTY?: boolean; cwd?: string;
    /** Asks a yes/no question on the terminal; absent when there is none (then writes that need it are refused). */
    confirm?: (question: string) => Promise<boolean>;
  };
  /** Masks a text with every secret the run knows: for a text that is cut before it is printed (a table cell),
   * since the writers cannot find a secret that was cut in half. */
  mask?: (text: string) => string;
  /** Redacting writers. */
  out: (text: string) => void;
  /** Set by a command that wrote (and closed) its own JSON document, even on failure: no second one is printed. */
  jsonWritten?: boolean;
  err: (text: string) => void;
  json: boolean;
  /** Positionals after the command word. */
  args: string[];
  values: Record<string, string | boolean | string[] | undefined>;
  signal: AbortSignal;
  progress: (text: string | undefined) => void;
}

export function usage(message: string, command: string): ScimxError {
  return new ScimxError('usage', message, { hint: `scimx ${command} --help` });
}

export function str(ctx: CommandContext, key: string): string | undefined {
  const v = ctx.values[key];
  return typeof v === 'string' ? v : undefined;
}

export function csv(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  return list.length ? list : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// TYPE → endpoint

interface ResolvedType {
  endpoint: string;
  kind: 'user' | 'group' | 'other';
}

const BUILTIN: Record<string, ResolvedType> = {
  users: { endpoint: 'Users', kind: 'user' },
  user: { endpoint: 'Users', kind: 'user' },
  groups: { endpoint: 'Groups', kind: 'group' },
  group: { endpoint: 'Groups', kind: 'group' },
};

/** `Users`, `users`, `Groups` and `groups` need no request; other names are looked up in ResourceTypes. */
export async function resolveType(client: ScimClient, ctx: CommandContext, type: string, command: string): Promise<ResolvedType> {
  const t = type.replace(/^\/+/, '').trim();
  if (!t) throw usage('TYPE is empty', command);
  const builtin = BUILTIN[t.toLowerCase()];
  if (builtin) return builtin;
  const d = await client.discover({ signal: ctx.signal, title: 'discover resource types' });
  const lower = t.toLowerCase();
  const rt = d.resourceTypes.find((r) => [r.name, r.id, r.endpoint.replace(/^\/+/, '')].some((n) => n?.toLowerCase() === lower));
  if (!rt) {
    const known = d.resourceTypes.map((r) => `${r.name} (${r.endpoint.replace(/^\/+/, '')})`).join(', ');
    throw usage(`unknown resource type "${type}"${known ? `; the server has: ${known}` : ''}`, command);
  }
  const endpoint = rt.endpoint.replace(/^\/+/, '');
  const kind = /:User$/.test(rt.schema) ? 'user' : /:Group$/.test(rt.schema) ? 'group' : 'other';
  return { endpoint, kind };
}
