// `${env:NAME}` and `${secret:NAME}` inside string values (`$${` writes a literal `${`), and what a profile
// learns from them: which values to mask, which environment variables it sends to a host.
import type { Node as YamlNode } from 'yaml';
import type { Profile } from '../profile';
import type { ProfilesFileOptions } from './types';

export interface Substitution {
  /** Dotted key of the field, e.g. `profiles.dev.baseUrl`. */
  key: string;
  kind: 'env' | 'secret';
  name: string;
  value: string;
}

/** What substitution needs of the reader: the source text, the options, where to report a problem, and where
 * to remember what was substituted for the profile being built. */
export interface SubstitutionScope {
  readonly text: string;
  readonly opts: ProfilesFileOptions;
  secretsUsed: Set<string>;
  substitutions: Substitution[];
  problem(at: YamlNode | number | null | undefined, key: string, message: string): void;
}

const SUBSTITUTION = /\$\$\{|\$\{([^}]*)\}/g;

/** Resolves ${env:} / ${secret:} in a string; undefined (and a problem) when one cannot be resolved. */
export async function substitute(scope: SubstitutionScope, raw: string, node: YamlNode | null, key: string): Promise<{ value: string; substituted: boolean } | undefined> {
  if (!raw.includes('${')) return { value: raw, substituted: false };
  const env = scope.opts.env ?? process.env;
  const source = node?.range ? scope.text.slice(node.range[0], node.range[1]) : '';
  let ok = true;
  let substituted = false;
  let out = '';
  let last = 0;
  for (const m of raw.matchAll(SUBSTITUTION)) {
    const at = m.index ?? 0;
    out += raw.slice(last, at);
    last = at + m[0].length;
    if (m[0] === '$${') { out += '${'; continue; }
    const inner = m[1] ?? '';
    const within = source.indexOf(m[0]);
    const where = within >= 0 && node?.range ? node.range[0] + within : node;
    const ref = /^(env|secret):([A-Za-z_][A-Za-z0-9_.-]*)$/.exec(inner.trim());
    if (!ref) {
      scope.problem(where, key, `unknown substitution "${m[0]}": expected \${env:NAME} or \${secret:NAME} (write $\${ for a literal \${)`);
      ok = false;
      continue;
    }
    const kind = ref[1] as 'env' | 'secret';
    const name = ref[2] as string;
    substituted = true;
    if (kind === 'env') {
      const v = env[name];
      if (v === undefined || v === '') {
        scope.problem(where, key, `environment variable ${name} is ${v === undefined ? 'not set' : 'empty'} (used as \${env:${name}})`);
        ok = false;
        continue;
      }
      out += v;
    } else {
      if (!scope.opts.secrets) {
        scope.problem(where, key, `\${secret:${name}} is resolved by the VS Code extension's secret storage; outside VS Code use \${env:NAME} instead`);
        ok = false;
        continue;
      }
      let v: string | undefined;
      try {
        v = await scope.opts.secrets.get(name);
      } catch (e) {
        scope.problem(where, key, `secret ${name} could not be read: ${(e as Error).message}`);
        ok = false;
        continue;
      }
      if (v === undefined || v === '') {
        scope.problem(where, key, `secret ${name} is not stored; store it with the command "SCIM: Set Secret…"`);
        ok = false;
        continue;
      }
      scope.secretsUsed.add(name);
      scope.substitutions.push({ key, kind, name, value: v });
      out += v;
      continue;
    }
    scope.substitutions.push({ key, kind, name, value: env[name] as string });
  }
  out += raw.slice(last);
  return ok ? { value: out, substituted } : undefined;
}

/** Fields whose substituted values are configuration, not data sent anywhere: never masked. */
const CONFIG_FIELDS = /\.(timeoutMs|pageSize|concurrency|maxOperationsPerPatch|maxResponseMB|discoveryMaxAgeHours|writes|locations|provider|auth\.type|gateway\.(header|query|sendAs)|tls\.(insecure|caFile|certFile|keyFile))$/;
/** URL fields: a substituted scheme, host or port is an origin and stays readable; anything else is masked. */
const URL_FIELDS = /\.(baseUrl|auth\.tokenUrl|proxy)$/;

/**
 * What the profile learns from its `${env:}` / `${secret:}` substitutions: the values used in fields that
 * are not secrets by nature (a baseUrl path or query, a user name, a scope...) are masked like secrets
 * (`maskedValues`), and the environment variables whose values are sent to a host (`envRefs`).
 */
export function learnSubstitutions(profile: Profile, subs: Substitution[]): void {
  const masked: string[] = [];
  const env: string[] = [];
  for (const s of subs) {
    if (CONFIG_FIELDS.test(s.key)) continue;
    if (s.kind === 'env' && !env.includes(s.name) && !/\.tls\./.test(s.key)) env.push(s.name);
    if (URL_FIELDS.test(s.key)) {
      const url = s.key.endsWith('.baseUrl') ? profile.baseUrl : s.key.endsWith('.proxy') ? profile.proxy
        : profile.auth.type === 'oauth2' ? profile.auth.tokenUrl : undefined;
      let origin = '';
      try { origin = url ? new URL(url).origin : ''; } catch { /* reported by the parser */ }
      if (origin && origin.includes(s.value)) continue;
    }
    if (!masked.includes(s.value)) masked.push(s.value);
  }
  if (masked.length) profile.maskedValues = masked;
  if (env.length) profile.envRefs = env;
}
