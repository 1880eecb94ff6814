// The pipeline's own undici dispatcher: an Agent (or a ProxyAgent) per profile, with the profile's TLS settings.
// Never the global dispatcher: in an extension host that one is shared with every other extension.
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, type Dispatcher } from './undici';
import { ProxyAgent } from './undici-proxy';
import { ConfigError } from '../errors';
import type { Profile } from '../profile';

export interface TlsOptions {
  rejectUnauthorized: boolean;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  passphrase?: string;
}

function readPem(file: string, what: string, profile: Profile): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    const why = e instanceof Error && 'code' in e ? String((e as NodeJS.ErrnoException).code) : 'unreadable';
    throw new ConfigError(`Profile "${profile.name}": cannot read tls.${what} ${file} (${why}).`);
  }
}

export function tlsOptions(profile: Profile): TlsOptions {
  const t = profile.tls;
  const out: TlsOptions = { rejectUnauthorized: !t.insecure };
  if (t.caFile) out.ca = readPem(t.caFile, 'caFile', profile);
  if (t.certFile) out.cert = readPem(t.certFile, 'certFile', profile);
  if (t.keyFile) out.key = readPem(t.keyFile, 'keyFile', profile);
  if (t.passphrase) out.passphrase = t.passphrase;
  if (out.key && t.keyFile) checkKey(out.key, t.keyFile, t.passphrase, profile);
  return out;
}

/**
 * Opens the client key once, before any socket: a wrong passphrase otherwise surfaces as whatever OpenSSL says
 * mid-handshake ("bad decrypt", or "DECODER routines::unsupported" when a wrong key happens to leave valid
 * padding), blamed on the request. Here it is a config error naming the profile and the file.
 */
function checkKey(key: Buffer, file: string, passphrase: string | undefined, profile: Profile): void {
  try {
    createPrivateKey(passphrase === undefined ? { key } : { key, passphrase });
  } catch (e) {
    const code = e instanceof Error && 'code' in e ? String((e as NodeJS.ErrnoException).code) : 'unreadable';
    const why = passphrase === undefined
      ? 'it is not a PEM private key, or it is encrypted and the profile gives no tls.passphrase'
      : 'the tls.passphrase does not decrypt it (or it is not a PEM private key)';
    throw new ConfigError(`Profile "${profile.name}": cannot use tls.keyFile ${file}: ${why} (${code}).`);
  }
}

export interface DispatcherOptions {
  /** Most connections per origin; default unlimited (undici's default). */
  connections?: number;
}

export function createDispatcher(profile: Profile, options: DispatcherOptions = {}): Dispatcher {
  const pool = options.connections ? { connections: options.connections } : {};
  const tls = tlsOptions(profile);
  if (profile.proxy) {
    let uri: URL;
    try {
      uri = new URL(profile.proxy);
    } catch {
      throw new ConfigError(`Profile "${profile.name}": proxy "${profile.proxy.replace(/\/\/[^@/]*@/, '//••••@')}" is not a valid URL.`);
    }
    const token = profile.proxyAuthorization ? { token: profile.proxyAuthorization } : {};
    return new ProxyAgent({ uri: uri.toString(), requestTls: tls, ...token, ...pool });
  }
  return new Agent({ connect: tls, ...pool });
}
