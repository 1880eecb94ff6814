// The last check of `npm test`: no raw secret in anything the tests printed or left behind.
// Secrets are (a) the ones sandboxes made up or were given during the run (each sandbox appends its key,
// password, basic token or bearer token to the ledger file named by SCIMX_SECRET_LEDGER) and (b) the secret
// constants the test files declare (`const KEY = '…'`, `…PASSWORD…`, `…TOKEN…`, `…SECRET…`). Each is looked
// for as written, URL-encoded and JSON-escaped in: every suite's output and TAP report, the text files under
// artifacts/, and the logs of the VS Code sessions the e2e tests ran (the SCIM output channel among them).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { inspect } from 'node:util';

const MIN_LENGTH = 8;
const NAME = /(?:KEY|PASSWORD|TOKEN|SECRET)/;
/** Names of names, not of secrets (`KEY_HEADER = 'Ocp-Apim-Subscription-Key'`); `SECRET_HEADER` is a value. */
const NOT_A_VALUE = /^(?!SECRET).*_(?:HEADER|QUERY|NAME|ENV|VAR|FILE|PATH)$/;

/** `const NAME = '…'` / "…" / `…` (no interpolation) string constants whose name says they are secret. */
export function declaredSecrets(source) {
  const out = [];
  const re = /\bconst\s+([A-Z][A-Z0-9_]*)\s*=\s*('(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\$]|\\.)*`)/g;
  for (const m of source.matchAll(re)) {
    if (!NAME.test(m[1]) || NOT_A_VALUE.test(m[1])) continue;
    let value;
    try { value = Function(`"use strict"; return (${m[2]});`)(); } catch { continue; }
    if (typeof value === 'string') out.push({ value, from: m[1] });
  }
  return out;
}

function walk(dir, keep, out = []) {
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, keep, out);
    else if (e.isFile() && keep(p)) out.push(p);
  }
  return out;
}

function isText(buf) {
  return !buf.subarray(0, 8000).includes(0);
}

/** Every form a leaked secret could take in a log: as is, URL-encoded (both styles), JSON-escaped, and as
 * node's test reporters print values (util.inspect: backslashes doubled, quotes left alone). */
export function forms(secret) {
  const json = JSON.stringify(secret).slice(1, -1);
  const inspected = inspect(secret).slice(1, -1);
  return [...new Set([secret, encodeURIComponent(secret), new URLSearchParams({ x: secret }).toString().slice(2), json, inspected])];
}

/**
 * @param {{ root: string, ledger: string, printed: Array<{ what: string, text: string }>, since?: number }} input
 * @returns {{ secrets: number, forms: number, sources: number, bytes: number, leaks: string[] }}
 */
export function scanForSecrets({ root, ledger, printed, since = 0 }) {
  const secrets = new Map(); // value -> where it comes from
  if (existsSync(ledger)) {
    for (const line of readFileSync(ledger, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        const { value, from } = JSON.parse(line);
        if (typeof value === 'string') secrets.set(value, from);
      } catch { /* a partial line of a process that died */ }
    }
  }
  for (const file of walk(join(root, 'test'), (p) => /\.(ts|mjs)$/.test(p))) {
    for (const s of declaredSecrets(readFileSync(file, 'utf8'))) secrets.set(s.value, `${relative(root, file)} ${s.from}`);
  }
  for (const v of [...secrets.keys()]) if (v.length < MIN_LENGTH) secrets.delete(v);

  const sources = [...printed];
  const files = [
    ...walk(join(root, 'artifacts'), () => true),
    ...(existsSync(join(root, '.vscode-test')) ? readdirSync(join(root, '.vscode-test'), { withFileTypes: true }) : [])
      .filter((e) => e.isDirectory())
      // every VS Code profile a run made (user-data, user-data-untrusted, …)
      .flatMap((e) => readdirSync(join(root, '.vscode-test', e.name), { withFileTypes: true })
        .filter((d) => d.isDirectory() && d.name.startsWith('user-data'))
        .flatMap((d) => walk(join(root, '.vscode-test', e.name, d.name, 'logs'), () => true))),
  ].filter((f) => statSync(f).mtimeMs >= since);
  for (const f of files) {
    const buf = readFileSync(f);
    if (isText(buf)) sources.push({ what: relative(root, f), text: buf.toString('utf8') });
  }

  const leaks = [];
  let nForms = 0;
  for (const [value, from] of secrets) {
    for (const form of forms(value)) {
      nForms++;
      for (const src of sources) {
        const i = src.text.indexOf(form);
        if (i < 0) continue;
        const line = src.text.slice(0, i).split('\n').length;
        leaks.push(`secret "••••${value.slice(-4)}" (${from}) in ${src.what}, line ${line}`);
      }
    }
  }
  return { secrets: secrets.size, forms: nForms, sources: sources.length, bytes: sources.reduce((n, s) => n + s.text.length, 0), leaks };
}
