// VS Code's `http.proxy`, `http.noProxy`, `http.proxyStrictSSL`, `http.proxyAuthorization` and
// `http.proxySupport` applied to a profile that names no proxy of its own (no `vscode` import, unit-tested).
// Our undici agent bypasses VS Code's patched `http`, so the settings have to be passed in explicitly. With no
// `http.proxy`, the conventional environment variables (HTTPS_PROXY / HTTP_PROXY / NO_PROXY, either case) are
// used, as VS Code itself does.
import type { Profile } from '../core/profile';

export interface ProxySettings {
  proxy?: string;
  noProxy?: string[];
  strictSSL?: boolean;
  /** `http.proxyAuthorization`: the Proxy-Authorization value sent to the proxy (a secret). */
  authorization?: string;
  /** `http.proxySupport`: `off` turns every proxy off for the extension. */
  support?: 'off' | 'on' | 'fallback' | 'override';
  /** Environment (process.env): HTTPS_PROXY, HTTP_PROXY, NO_PROXY. */
  env?: Record<string, string | undefined>;
}

/** The proxy from the environment for this URL, and the NO_PROXY entries. */
export function envProxy(url: string, env: Record<string, string | undefined> = {}): { proxy?: string; noProxy: string[] } {
  const get = (name: string): string | undefined => (env[name] ?? env[name.toLowerCase()])?.trim() || undefined;
  const https = url.toLowerCase().startsWith('https:');
  const proxy = (https ? get('HTTPS_PROXY') : undefined) ?? get('HTTP_PROXY');
  const noProxy = (get('NO_PROXY') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return { proxy, noProxy };
}

/** True when `host` matches a `http.noProxy` entry (`example.com`, `.example.com`, `*.example.com`, `host:port`). */
export function bypassesProxy(url: string, noProxy: readonly string[] = []): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  const host = u.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    const [pattern = '', p] = entry.split(/:(?=\d+$)/);
    if (p && p !== port) continue;
    const bare = pattern.replace(/^\*?\./, '');
    if (host === bare || host.endsWith(`.${bare}`)) return true;
  }
  return false;
}

/**
 * A copy of the profile with VS Code's proxy applied when the profile has none. `http.proxyStrictSSL: false`
 * only relaxes TLS for profiles that go through that proxy, and is then visible on the profile (`tls.insecure`).
 */
export function withVsCodeProxy(profile: Profile, s: ProxySettings): Profile {
  if (profile.proxy || s.support === 'off') return profile;
  const fromEnv = envProxy(profile.baseUrl, s.env);
  const proxy = s.proxy?.trim() || fromEnv.proxy;
  if (!proxy) return profile;
  if (bypassesProxy(profile.baseUrl, [...(s.noProxy ?? []), ...fromEnv.noProxy])) return profile;
  const insecure = profile.tls.insecure || s.strictSSL === false;
  const out: Profile = { ...profile, proxy, tls: { ...profile.tls, insecure } };
  const auth = s.authorization?.trim();
  if (auth) out.proxyAuthorization = auth;
  return out;
}
