// Masking: nothing unmasked may enter the trace. A secret is shown as `••••` plus its last 4 characters
// (secrets shorter than MASK_MIN_LENGTH as `••••` alone, so a short password does not leak half of itself).
// Secrets shorter than SHORT_SECRET_LENGTH are masked by position only (header values, URL user info, query
// values, secret JSON and form fields), never in free text: the password `2024` replaced in free text turned
// every date into `••••-01-01` (and so gave itself away), `x` masked URL paths.
import type { HeaderList } from '../trace';
import { SHORT_SECRET_LENGTH } from '../profile';

export const MASK = '••••';
/** Secrets shorter than this are masked without their last characters. */
export const MASK_MIN_LENGTH = 12;

/** Header names (lower case) whose values are always masked, whatever the profile says. */
export const ALWAYS_SECRET_HEADERS: readonly string[] = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie'];

/** Body fields (JSON or form) whose values are masked wherever they appear (names compared case-insensitively). */
const SECRET_FIELDS = ['access_token', 'refresh_token', 'id_token', 'client_secret', 'clientSecret', 'password', 'passphrase',
  'subscriptionKey', 'subscription-key', 'authorization', 'proxy-authorization'];
const FIELD_NAMES = SECRET_FIELDS.map((f) => f.replace(/[-_]/g, '[-_]?')).join('|');
const JSON_FIELD = new RegExp(`("(?:${FIELD_NAMES})"\\s*:\\s*")((?:[^"\\\\]|\\\\.)*)(")`, 'gi');
// (the value stops at a quote or a backslash too: inside a JSON string, `…?subscription-key=x",` must keep
// its closing quote, or the masked document is no longer JSON; found by test/integration/fuzz-pipeline.test.ts)
const FORM_FIELD = new RegExp(`(^|[?&])((?:${FIELD_NAMES})=)([^&\\s#"'<>\\\\]*)`, 'gi');
/** `?name=value` / `&name=value` in a URL or free text. */
const QUERY_PAIR = /([?&][^=&#\s"'<>]*=)([^&#\s"'<>]*)/g;
/** The password of a URL's user info: `scheme://user:PASSWORD@host`. */
const USERINFO = /(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@"'<>]*:)([^@/\s"'<>]+)(@)/gi;

export function maskValue(raw: string): string {
  if (raw.length < MASK_MIN_LENGTH) return MASK;
  return MASK + raw.slice(-4);
}

/** `Basic dXNlcjpwYXNz` -> `Basic ••••YXNz`: the scheme stays readable, the credentials do not. */
export function maskAuthorization(raw: string): string {
  const m = /^([A-Za-z][A-Za-z0-9._~+/-]*) +(.+)$/.exec(raw);
  if (m && m[1] && m[2] && /^(basic|bearer|digest|negotiate|ntlm|token|apikey|sharedaccesssignature)$/i.test(m[1])) {
    return `${m[1]} ${maskValue(m[2])}`;
  }
  return maskValue(raw);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Knows every secret of one pipeline (profile secrets, fetched tokens) and the names that carry secrets.
 * Every string that goes into the trace passes through one of its methods.
 */
export class Masker {
  private readonly secrets = new Set<string>();
  /** Secrets shorter than SHORT_SECRET_LENGTH: masked by position only. */
  private readonly short = new Set<string>();
  private readonly secretHeaderNames = new Set<string>(ALWAYS_SECRET_HEADERS);
  private pattern: RegExp | undefined;
  private replacements = new Map<string, string>();

  constructor(secrets: Iterable<string>, secretHeaders: Iterable<string>, readonly keyQuery?: string) {
    for (const h of secretHeaders) this.secretHeaderNames.add(h.toLowerCase());
    for (const s of secrets) this.addSecret(s);
  }

  /** Adds a secret (also one learned at run time: an OAuth access token). */
  addSecret(raw: string | undefined): void {
    if (!raw || raw.length < 1 || this.secrets.has(raw) || this.short.has(raw)) return;
    if (raw.length < SHORT_SECRET_LENGTH) {
      this.short.add(raw);
      return;
    }
    this.secrets.add(raw);
    this.pattern = undefined;
  }

  addSecretHeader(name: string): void {
    this.secretHeaderNames.add(name.toLowerCase());
  }

  isSecretHeader(name: string): boolean {
    return this.secretHeaderNames.has(name.toLowerCase());
  }

  /** Replaces every known secret (raw, URL-encoded, form-encoded) in free text, and by position: secret
   * JSON and form fields, URL user info, and query values that are a (short) secret. */
  text(input: string): string {
    if (!input) return input;
    const re = this.regex();
    let out = re ? input.replace(re, (m) => this.replacements.get(m) ?? MASK) : input;
    // Generic secret fields in JSON (`"access_token": "…"`) and forms (`client_secret=…`).
    if (out.includes('"')) {
      out = out.replace(JSON_FIELD, (_m, a: string, v: string, c: string) => (v.startsWith(MASK) ? `${a}${v}${c}` : `${a}${maskValue(v)}${c}`));
    }
    if (out.includes('=')) {
      out = out.replace(FORM_FIELD, (_m, a: string, b: string, v: string) =>
        v.startsWith(encodeURIComponent(MASK)) || v.startsWith(MASK) ? `${a}${b}${v}` : `${a}${b}${maskValue(decodeSafe(v))}`,
      );
      if (this.short.size) {
        out = out.replace(QUERY_PAIR, (m, a: string, v: string) => (this.short.has(decodeSafe(v)) ? `${a}${MASK}` : m));
      }
    }
    if (out.includes('@')) out = out.replace(USERINFO, (_m, a: string, v: string, c: string) => (v.startsWith(MASK) ? `${a}${v}${c}` : `${a}${MASK}${c}`));
    return out;
  }

  /** Masks the key query parameter (whatever its value) and any known secret in a URL or request target. */
  url(input: string): string {
    let out = input;
    if (this.keyQuery) {
      const name = escapeRegExp(encodeURIComponent(this.keyQuery));
      out = out.replace(new RegExp(`([?&]${name}=)([^&#\\s]*)`, 'g'), (_m, a: string, v: string) =>
        v.startsWith(MASK) ? `${a}${v}` : `${a}${maskValue(decodeSafe(v))}`,
      );
    }
    return this.text(out);
  }

  /** Masks a request line `METHOD target HTTP/1.1`. */
  requestLine(line: string): string {
    return this.url(line);
  }

  /** Masks one header value by name; returns the value unchanged when it is not a secret. */
  header(name: string, value: string): { value: string; masked: boolean } {
    const lower = name.toLowerCase();
    if (lower === 'authorization' || lower === 'proxy-authorization') {
      return { value: maskAuthorization(value), masked: true };
    }
    if (this.secretHeaderNames.has(lower)) return { value: maskValue(value), masked: true };
    if (this.short.has(value.trim())) return { value: MASK, masked: true };
    const t = this.text(value);
    return { value: t, masked: t !== value };
  }

  /** Masks a header list; `onMasked(index, raw)` receives what was hidden (for an explicit reveal). */
  headers(list: HeaderList, onMasked?: (index: number, raw: string) => void): HeaderList {
    return list.map(([n, v], i) => {
      const m = this.header(n, v);
      if (m.masked) onMasked?.(i, v);
      return [n, m.value] as [string, string];
    });
  }

  private regex(): RegExp | undefined {
    if (this.pattern) return this.pattern;
    if (!this.secrets.size) return undefined;
    const forms = new Map<string, string>();
    for (const s of this.secrets) {
      const masked = maskValue(s);
      forms.set(s, masked);
      const enc = encodeURIComponent(s);
      if (enc !== s) forms.set(enc, masked);
      const form = new URLSearchParams({ x: s }).toString().slice(2);
      if (form !== s && form !== enc) forms.set(form, masked);
      const json = JSON.stringify(s).slice(1, -1);
      if (json !== s) forms.set(json, masked);
    }
    this.replacements = forms;
    const alternatives = [...forms.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
    this.pattern = new RegExp(alternatives.join('|'), 'g');
    return this.pattern;
  }
}

function decodeSafe(v: string): string {
  try {
    return decodeURIComponent(v.replace(/\+/g, ' '));
  } catch {
    return v;
  }
}
