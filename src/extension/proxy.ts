// VS Code's `http.proxy`, `http.noProxy` and `http.proxyStrictSSL` applied to a profile that names no proxy
// of its own (no `vscode` import, unit-tested). Our undici agent bypasses VS Code's patched `http`, so the
// settings have to be passed in explicitly.
import type { Profile } from '../core/profile';

export interface ProxySettings {
  proxy?: string;
  noProxy?: string[];
  strictSSL?: boolean;
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
  const proxy = s.proxy?.trim();
  if (profile.proxy || !proxy) return profile;
  if (bypassesProxy(profile.baseUrl, s.noProxy)) return profile;
  const insecure = profile.tls.insecure || s.strictSSL === false;
  return { ...profile, proxy, tls: { ...profile.tls, insecure } };
}
