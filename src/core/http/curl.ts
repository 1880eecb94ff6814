// A runnable curl command for one traced exchange. Secrets never appear: they are shell variables the user
// sets first. Variable names (stable, documented for users):
//   $APIM_KEY                 the gateway subscription key (header `gateway.header` or query `gateway.query`)
//   $SCIM_PASSWORD            basic auth password (the username is written as is, with `-u`)
//   $SCIM_TOKEN               bearer token (auth bearer, or the OAuth 2.0 access token for auth oauth2)
//   $SCIM_AUTHORIZATION       a whole Authorization value of another scheme
//   $SCIM_COOKIE              a Cookie header
//   $SCIM_HEADER_<NAME>       a profile secret header, NAME upper-cased with non-alphanumerics as `_`
//                             (e.g. `X-Api-Secret` -> $SCIM_HEADER_X_API_SECRET)
// Built from the trace (what was written on the wire, masked), so what is shown is what was sent.
import type { Profile } from '../profile';
import type { Exchange } from '../trace';

type Part = { lit: string } | { var: string };

/** POSIX shell single quoting: `it's` -> `'it'\''s'`. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Renders literal and variable parts as one shell word: `'Header: '"$VAR"`. */
function word(parts: Part[]): string {
  const merged: Part[] = [];
  for (const p of parts) {
    const last = merged[merged.length - 1];
    if ('lit' in p && last && 'lit' in last) last.lit += p.lit;
    else merged.push({ ...p });
  }
  return merged
    .filter((p) => !('lit' in p) || p.lit.length > 0)
    .map((p) => ('lit' in p ? shellQuote(p.lit) : `"$${p.var}"`))
    .join('') || "''";
}

export function secretHeaderVariable(name: string): string {
  return `SCIM_HEADER_${name.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_|_$/g, '')}`;
}

const SKIP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

/** The URL with the key query parameter's value replaced by $APIM_KEY. */
function urlParts(url: string, keyQuery: string): Part[] {
  const q = url.indexOf('?');
  if (q < 0) return [{ lit: url }];
  const parts: Part[] = [{ lit: url.slice(0, q + 1) }];
  const encName = encodeURIComponent(keyQuery);
  url.slice(q + 1).split('&').forEach((p, i) => {
    if (i > 0) parts.push({ lit: '&' });
    const eq = p.indexOf('=');
    const name = eq < 0 ? p : p.slice(0, eq);
    if (eq >= 0 && (name === keyQuery || name === encName)) {
      parts.push({ lit: `${name}=` }, { var: 'APIM_KEY' });
    } else {
      parts.push({ lit: p });
    }
  });
  return parts;
}

/** A runnable curl command for the exchange, with secrets as shell variables (see the list above). */
export function toCurl(exchange: Exchange, profile: Profile): string {
  const req = exchange.request;
  const args: string[] = ['curl', '-sS', '-g']; // -g: no URL globbing, SCIM filters contain [ ] { }
  const used = new Set<string>();
  if (req.method === 'HEAD') args.push('-I');
  else if (req.method !== 'GET' || req.body !== undefined) args.push('-X', req.method);

  const secretHeaders = new Set(profile.secretHeaders.map((h) => h.toLowerCase()));
  const keyHeader = profile.gateway.header.toLowerCase();
  for (const [name, value] of req.headers) {
    const lower = name.toLowerCase();
    if (SKIP.has(lower)) continue;
    let parts: Part[];
    if (lower === keyHeader) {
      parts = [{ lit: `${name}: ` }, { var: 'APIM_KEY' }];
    } else if (lower === 'authorization') {
      const scheme = (value.split(' ')[0] ?? '').toLowerCase();
      if (scheme === 'basic' && profile.auth.type === 'basic') {
        args.push('-u', word([{ lit: `${profile.auth.username}:` }, { var: 'SCIM_PASSWORD' }]));
        used.add('SCIM_PASSWORD');
        continue;
      }
      parts = scheme === 'bearer'
        ? [{ lit: `${name}: Bearer ` }, { var: 'SCIM_TOKEN' }]
        : [{ lit: `${name}: ` }, { var: 'SCIM_AUTHORIZATION' }];
    } else if (lower === 'cookie') {
      parts = [{ lit: `${name}: ` }, { var: 'SCIM_COOKIE' }];
    } else if (secretHeaders.has(lower)) {
      parts = [{ lit: `${name}: ` }, { var: secretHeaderVariable(name) }];
    } else {
      parts = [{ lit: `${name}: ${value}` }];
    }
    for (const p of parts) if ('var' in p) used.add(p.var);
    args.push('-H', word(parts));
  }
  if (req.body !== undefined) args.push('--data-binary', shellQuote(req.body));
  const url = urlParts(req.url, profile.gateway.query);
  for (const p of url) if ('var' in p) used.add(p.var);
  args.push(word(url));

  const lines: string[] = [];
  if (used.size) lines.push(`# set first: ${[...used].map((v) => `${v}`).join(', ')}`);
  if (req.body !== undefined && req.bodySize > Buffer.byteLength(req.body)) {
    lines.push(`# the request body was truncated in the trace (${req.bodySize} bytes sent)`);
  }
  if (exchange.bodiesDropped && req.body === undefined && req.bodySize > 0) {
    lines.push(`# the request body (${req.bodySize} bytes sent) is no longer in the trace (its body budget keeps the newest)`);
  }
  // One argument per line after the first, so long commands stay readable; still one shell command.
  const [cmd, ...rest] = groupArgs(args);
  lines.push([cmd, ...rest].join(' \\\n  '));
  return lines.join('\n');
}

/** Keeps each option with its value on one line. */
function groupArgs(args: string[]): string[] {
  const out: string[] = [];
  const withValue = new Set(['-X', '-H', '-u', '--data-binary']);
  let head = '';
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (i < 3) {
      head = head ? `${head} ${a}` : a;
      if (i === 2) out.push(head);
      continue;
    }
    if (withValue.has(a) && i + 1 < args.length) {
      out.push(`${a} ${args[i + 1] ?? ''}`);
      i += 1;
    } else {
      out.push(a);
    }
  }
  return out;
}
