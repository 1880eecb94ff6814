// Plain-text output helpers for `scimx`: compact tables, secret redaction, masking.
import { maskValue } from '../core/http/mask';
import { SHORT_SECRET_LENGTH } from '../core/profile';
import { showControlsInline } from '../core/text';

/** `••••` plus the last 4 characters (the trace's own rule, core/http/mask.ts). */
export function maskSecret(secret: string): string {
  return maskValue(secret);
}

/** Returns a function that replaces every raw secret (and its JSON-escaped form) in a text by its mask.
 * A last line of defence: the trace masks secrets itself; nothing the CLI prints may contain one. */
export function redactor(secrets: Iterable<string>): (text: string) => string {
  const list = new Set<string>();
  for (const s of secrets) {
    if (s.length < SHORT_SECRET_LENGTH) continue; // short ones are masked by position (core/http/mask.ts)
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
  const cells = tableCells(headers, rows, maxCell);
  const widths = tableWidths(headers, cells);
  return [tableLine(headers, widths), ...cells.map((r) => tableLine(r, widths))].join('\n') + '\n';
}

/** Rows as clipped, single-line cells whose control characters are shown (\uXXXX), never sent raw. */
export function tableCells(headers: string[], rows: Array<Array<string | number | boolean | null | undefined>>, maxCell = 48): string[][] {
  return rows.map((r) => headers.map((_, i) => cell(r[i], maxCell)));
}

export function tableWidths(headers: string[], cells: string[][]): number[] {
  return headers.map((h, i) => cells.reduce((w, r) => Math.max(w, (r[i] as string).length), h.length));
}

/** One line of a table with the given column widths (a wider cell pushes the next ones right). */
export function tableLine(r: string[], widths: number[]): string {
  return r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
}

function cell(v: string | number | boolean | null | undefined, max: number): string {
  if (v === null || v === undefined) return '';
  const s = showControlsInline(String(v).replace(/[\r\n\t]+/g, ' '));
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** Reads a dotted attribute path (`name.givenName`, `emails.value`) from a SCIM resource. */
export function attr(resource: Record<string, unknown>, path: string): string {
  let cur: unknown = resource;
  for (const part of path.split('.')) {
    if (Array.isArray(cur)) {
      const items: unknown[] = cur;
      const primary = items.find((x) => x && typeof x === 'object' && (x as Record<string, unknown>).primary === true) ?? items[0];
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
  const scalar = cur as string | number | boolean; // what is left of parsed JSON
  return String(scalar);
}

export function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
