// The session-only profile for a sandbox started from the extension (no `vscode` import, unit-tested).

export interface SandboxInfo {
  gatewayUrl: string;
  key: string;
  [k: string]: unknown;
}

export const SANDBOX_PROFILE = 'local-sandbox';
export const SANDBOX_KEY_SECRET = 'scim-sandbox-key';
export const SANDBOX_PASSWORD_SECRET = 'scim-sandbox-password';
export const SANDBOX_TOKEN_SECRET = 'scim-sandbox-token';

/** The session-only profiles document for a running sandbox; secrets stay in SecretStorage. */
export function sandboxProfileYaml(info: SandboxInfo): { yaml: string; secrets: Record<string, string> } {
  const secrets: Record<string, string> = { [SANDBOX_KEY_SECRET]: info.key };
  const q = (s: string): string => JSON.stringify(s);
  const lines = ['profiles:', `  ${SANDBOX_PROFILE}:`, `    baseUrl: ${q(info.gatewayUrl.replace(/\/+$/, ''))}`];
  // `auth` as printed by `scimx sandbox --json` ({type, username, password} or {type, token}); top-level as a fallback.
  const auth = (info['auth'] && typeof info['auth'] === 'object' ? info['auth'] : info) as Record<string, unknown>;
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
  const user = str(auth['username']);
  const password = str(auth['password']);
  const token = str(auth['token']) ?? str(auth['bearer']);
  if (user && password) {
    secrets[SANDBOX_PASSWORD_SECRET] = password;
    lines.push('    auth:', '      type: basic', `      username: ${q(user)}`, `      password: \${secret:${SANDBOX_PASSWORD_SECRET}}`);
  } else if (token) {
    secrets[SANDBOX_TOKEN_SECRET] = token;
    lines.push('    auth:', '      type: bearer', `      token: \${secret:${SANDBOX_TOKEN_SECRET}}`);
  }
  lines.push('    gateway:', `      subscriptionKey: \${secret:${SANDBOX_KEY_SECRET}}`);
  if (typeof info['keyHeader'] === 'string') lines.push(`      header: ${q(info['keyHeader'])}`);
  if (typeof info['keyQuery'] === 'string') lines.push(`      query: ${q(info['keyQuery'])}`);
  return { yaml: `${lines.join('\n')}\n`, secrets };
}
