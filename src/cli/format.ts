// Plain-text output helpers for `scimx`: compact tables, secret redaction, masking.
import { maskValue } from '../core/http/mask';

/** `••••` plus the last 4 characters (the trace's own rule, core/http/mask.ts). */
export function maskSecret(secret: string): string {
  return maskValue(secret);
}

/** Returns a function that replaces every raw secret (and its JSON-escaped form) in a text by its mask.
 * A last line of defence: the trace masks secrets itself; nothing the CLI prints may contain one. */
export function redactor(secrets: Iterable<string>): (text: string) => string {
  const list = new Set<string>();
  for (const s of secrets) {
    if (s.length < 4) continue;
    list.add(s);
    const escaped = JSON.stringify(s).slice(1, -1);
    if (escaped !== s) list.add(escaped);
    const encoded = encodeURIComponent(s);
    if (encoded !== s) list.add(encoded);
  }
  const sorted = [...list].sort((a, b) => b.length - a.length);
  if (!sorted.length) return (t) => t;
  return (text) => {
    let out = text;
    for (const s of sorted) if (out.includes(s)) out = out.split(s).join(maskSecret(s));
    return out;
  };
}

/** A compact left-aligned table; cells are clipped to `maxCell` characters and made single-line. */
export function table(headers: string[], rows: Array<Array<string | number | boolean | null | undefined>>, maxCell = 48): string {
  const cells = rows.map((r) => headers.map((_, i) => cell(r[i], maxCell)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] as string).length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ').trimEnd();
  return [line(headers), ...cells.map(line)].join('\n') + '\n';
}

function cell(v: unknown, max: number): string {
  if (v === null || v === undefined) return '';
  const s = String(v).replace(/[\r\n\t]+/g, ' ').replace(/[\x00-\x1f\x7f]/g, '');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Reads a dotted attribute path (`name.givenName`, `emails.value`) from a SCIM resource. */
export function attr(resource: Record<string, unknown>, path: string): string {
  let cur: unknown = resource;
  for (const part of path.split('.')) {
    if (Array.isArray(cur)) {
      const primary = cur.find((x) => x && typeof x === 'object' && (x as Record<string, unknown>).primary === true) ?? cur[0];
      cur = primary;
    }
    if (!cur || typeof cur !== 'object') return '';
    const obj = cur as Record<string, unknown>;
    const key = Object.keys(obj).find((k) => k.toLowerCase() === part.toLowerCase());
    cur = key === undefined ? undefined : obj[key];
  }
  if (cur === undefined || cur === null) return '';
  if (Array.isArray(cur)) return `[${cur.length}]`;
  if (typeof cur === 'object') return JSON.stringify(cur);
  return String(cur);
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
