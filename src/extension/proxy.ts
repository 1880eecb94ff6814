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

/** The proxy from the environment for this URL, and the NO_PROXY entries. A value without a scheme
 * (`proxy.corp:3128`, as curl accepts) is read as http; one that is no URL is not used, and `problem` says so. */
export function envProxy(url: string, env: Record<string, string | undefined> = {}): { proxy?: string; noProxy: string[]; problem?: string } {
  const get = (name: string): [string, string] | undefined => {
    for (const n of [name, name.toLowerCase()]) {
      const v = env[n]?.trim();
      if (v) return [n, v];
    }
    return undefined;
  };
  const https = url.toLowerCase().startsWith('https:');
  const found = (https ? get('HTTPS_PROXY') : undefined) ?? get('HTTP_PROXY');
  const noProxy = (get('NO_PROXY')?.[1] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (!found) return { noProxy };
  const [name, raw] = found;
  const value = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  try {
    const u = new URL(value);
    if (!['http:', 'https:', 'socks:', 'socks5:'].includes(u.protocol) || !u.hostname) throw new Error('not a proxy URL');
    return { proxy: value, noProxy };
  } catch {
    return { noProxy, problem: `environment variable ${name} is not a proxy URL (${raw.replace(/\/\/[^@/]*@/, '//••••@')}); it is not used` };
  }
}

/** Loopback never goes through a proxy: the proxy's own 127.0.0.1 is not ours (the local sandbox lives here). */
export function isLoopback(url: string): boolean {
  try {
    const h = new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, '');
    return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
  } catch {
    return false;
  }
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
  if (profile.proxy || s.support === 'off' || isLoopback(profile.baseUrl)) return profile;
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
