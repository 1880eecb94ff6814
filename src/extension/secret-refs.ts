// `${secret:NAME}` references (no `vscode` import, unit-tested).
const REF = /\$\{secret:([^}\s]+)\}/g;

/** Names of the secrets a profiles file refers to, in order of first use. */
export function secretRefs(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(REF)) if (m[1] && !out.includes(m[1])) out.push(m[1]);
  return out;
}

export function isValidSecretName(name: string): boolean {
  return /^[A-Za-z0-9_.-]{1,128}$/.test(name);
}
