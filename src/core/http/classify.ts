// Failures classified: what went wrong on one attempt (timeout, cancelled, the network, a proxy, TLS), in one
// masked line with a hint, whether it may be retried, and what a failed write leaves unknown. Needed only when an
// attempt fails: the extension loads it then (dist/classify.js, scripts/build.mjs LAZY).
import { ScimxError, isScimxError } from '../errors';
import type { Profile } from '../profile';
import type { Masker } from './mask';
import { isReadMethod, RETRY_ERROR_CODES } from './retry';

/** Why an attempt was aborted by the pipeline itself. */
export type AbortReason = 'timeout' | 'cancelled';

const FRIENDLY: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CLOSED: 'connection closed',
  EPIPE: 'connection closed while sending',
  CERT_HAS_EXPIRED: 'the server certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed server certificate (set tls.caFile or tls.insecure)',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain (set tls.caFile or tls.insecure)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'cannot verify the server certificate (set tls.caFile)',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the server certificate does not match the host name',
};

/** The error of an attempt that got no answer, as one masked line (with a hint where there is one to give). */
export function classifyFailure(
  e: unknown, why: AbortReason | undefined,
  at: { method: string; url: string; timeoutMs: number }, profile: Profile, masker: Masker,
): ScimxError {
  const where = `${at.method} ${masker.url(at.url)}`;
  if (why === 'timeout') {
    return new ScimxError('timeout', `No answer to ${where} within ${at.timeoutMs} ms.`, {
      cause: e, hint: 'Raise timeoutMs in the profile, or check that the server is up.',
    });
  }
  if (why === 'cancelled') return new ScimxError('cancelled', `Cancelled: ${where}.`, { cause: e });
  if (isScimxError(e)) return e;
  const code = errorCode(e);
  const text = e instanceof Error ? e.message : String(e);
  const proxied = /Proxy response \((\d{3})\)/.exec(text);
  if (proxied && profile.proxy) {
    const status = Number(proxied[1]);
    const proxy = profile.proxy.replace(/\/\/[^@/]*@/, '//');
    const refusal = status === 407 ? '407 Proxy Authentication Required' : `${status}`;
    return new ScimxError('network', masker.text(`${where} failed: the proxy ${proxy} refused the tunnel (${refusal}).`), {
      cause: e,
      hint: status === 407
        ? 'Give the proxy its credentials: VS Code setting http.proxyAuthorization, or user:password in the proxy URL.'
        : 'Check that the proxy allows CONNECT to this host and port.',
    });
  }
  const desc = code && FRIENDLY[code] ? `${FRIENDLY[code]} (${code})` : code ? `${text} (${code})` : text;
  // A server that requires a client certificate (mTLS) closes the connection after the TLS handshake,
  // without an answer: the client only sees "other side closed". Say what it may mean.
  const mtls = new URL(at.url).protocol === 'https:' && !profile.tls.certFile && nothingRead(e)
    && (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE');
  if (mtls) {
    return new ScimxError('network', masker.text(`${where} failed: ${desc}, before any answer: the server may require a client certificate (mTLS), and this profile sends none.`), {
      cause: e, hint: 'If the API requires a client certificate, set tls.certFile and tls.keyFile (and tls.passphrase) in the profile.',
    });
  }
  return new ScimxError('network', masker.text(`${where} failed: ${desc}.`), { cause: e });
}

/** A failure worth another attempt: a timeout, or a dropped connection (not a refused one, not an unknown host). */
export function isTransient(e: ScimxError): boolean {
  return e.code === 'timeout' || (e.code === 'network' && errorCodes(e.cause).some((c) => RETRY_ERROR_CODES.includes(c)));
}

/** The error a request ends with when no more attempts are made. A write that reached the server and got no
 * answer says that its outcome is unknown. */
export function finalError(method: string, sent: boolean, e: ScimxError): ScimxError {
  if (!isReadMethod(method) && sent && (e.code === 'network' || e.code === 'timeout')) {
    const msg = `${e.message} The ${method} reached the server but no answer came back: its outcome is unknown (it may have been applied). Re-read before trying again.`;
    return new ScimxError(e.code, msg, { cause: e.cause, hint: 'Re-read the resource to see whether the change was applied.' });
  }
  return e;
}

/** undici's socket errors carry the socket's counters: nothing read means no answer started. */
function nothingRead(e: unknown): boolean {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const s = (cur as { socket?: { bytesRead?: unknown } }).socket;
    if (s && typeof s.bytesRead === 'number') return s.bytesRead === 0;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/** Error codes along the cause chain, outermost first. */
function errorCodes(e: unknown): string[] {
  const out: string[] = [];
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const c = (cur as { code?: unknown }).code;
    if (typeof c === 'string') out.push(c);
    cur = (cur as { cause?: unknown }).cause;
  }
  return out;
}

/** The most telling code: a system one (ECONNRESET) before undici's wrapper (UND_ERR_SOCKET). */
function errorCode(e: unknown): string | undefined {
  const cs = errorCodes(e);
  return cs.find((c) => !c.startsWith('UND_ERR')) ?? cs[0];
}
