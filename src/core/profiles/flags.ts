// The profile of the command-line flags (`scimx --base-url ...`), for use without a profiles file.
import { ConfigError } from '../errors';
import { DEFAULTS, DEFAULT_KEY_HEADER, DEFAULT_KEY_QUERY, type AuthConfig, type GatewayConfig, type KeyPlacement, type Profile } from '../profile';
import { clip } from './messages';
import { BAD_HEADER_VALUE, BAD_QUERY_NAME, checkUrl, HEADER_NAME, RESERVED_HEADERS, SEND_AS } from './rules';

/** Command-line flags that build a profile without a file (`scimx --base-url ...`). */
export interface ProfileFlags {
  baseUrl?: string;
  user?: string;
  /** Name of the environment variable holding the password. */
  passwordEnv?: string;
  /** Name of the environment variable holding a bearer token. */
  bearerEnv?: string;
  /** Name of the environment variable holding the gateway subscription key. */
  subscriptionKeyEnv?: string;
  keyHeader?: string;
  keyQuery?: string;
  sendKeyAs?: string;
  /** `Name: value`, repeatable. */
  header?: string[];
  insecure?: boolean;
  timeoutMs?: string | number;
  /** Profile name shown in traces; default `flags`. */
  name?: string;
}

/** Builds a profile from command-line flags. Secrets come only from environment variables named by flags.
 * Throws ConfigError (a usage/config error) naming the flag. Headers whose name looks like a credential
 * (authorization, cookie, *key*, *token*, *secret*, *password*) are masked in traces. */
export function profileFromFlags(flags: ProfileFlags, env: NodeJS.ProcessEnv = process.env): Profile {
  const fail = (m: string): never => { throw new ConfigError(m); };
  if (!flags.baseUrl) fail('--base-url is required without a profiles file');
  const url = checkUrl(flags.baseUrl as string);
  if (typeof url !== 'object') fail(`--base-url ${flags.baseUrl}: ${url}`);
  const fromEnv = (flag: string, variable: string | undefined): string | undefined => {
    if (variable === undefined) return undefined;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) fail(`${flag} takes the NAME of an environment variable, not "${clip(variable)}"`);
    const v = env[variable];
    if (v === undefined) fail(`${flag}: environment variable ${variable} is not set`);
    if (v === '') fail(`${flag}: environment variable ${variable} is empty`);
    return v;
  };
  let auth: AuthConfig = { type: 'none' };
  if (flags.bearerEnv !== undefined && (flags.user !== undefined || flags.passwordEnv !== undefined)) {
    fail('--bearer-env cannot be combined with --user/--password-env: choose basic or bearer auth');
  }
  if (flags.user !== undefined) {
    if (flags.passwordEnv === undefined) fail('--user needs --password-env VAR (the password is read from that variable)');
    auth = { type: 'basic', username: flags.user, password: fromEnv('--password-env', flags.passwordEnv) as string };
  } else if (flags.passwordEnv !== undefined) {
    fail('--password-env needs --user NAME');
  } else if (flags.bearerEnv !== undefined) {
    auth = { type: 'bearer', token: fromEnv('--bearer-env', flags.bearerEnv) as string };
  }
  const header = flags.keyHeader ?? DEFAULT_KEY_HEADER;
  if (!HEADER_NAME.test(header)) fail(`--key-header "${clip(header)}" is not a valid header name`);
  const query = flags.keyQuery ?? DEFAULT_KEY_QUERY;
  if (!query || BAD_QUERY_NAME.test(query)) fail(`--key-query "${clip(query)}" is not a valid query parameter name`);
  const sendAs = flags.sendKeyAs ?? 'header';
  if (!(SEND_AS as readonly string[]).includes(sendAs)) fail(`--send-key-as must be one of ${SEND_AS.join(', ')}, not "${clip(sendAs)}"`);
  const gateway: GatewayConfig = { header, query, sendAs: sendAs as KeyPlacement };
  const key = fromEnv('--subscription-key-env', flags.subscriptionKeyEnv);
  if (key !== undefined) gateway.subscriptionKey = key;
  else if (flags.sendKeyAs !== undefined || flags.keyHeader !== undefined || flags.keyQuery !== undefined) {
    fail('--send-key-as/--key-header/--key-query need --subscription-key-env VAR');
  }
  const headers: Record<string, string> = {};
  const secretHeaders: string[] = [];
  for (const h of flags.header ?? []) {
    const i = h.indexOf(':');
    if (i <= 0) fail(`--header "${clip(h)}": expected "Name: value"`);
    const name = h.slice(0, i).trim();
    const value = h.slice(i + 1).trim();
    if (!HEADER_NAME.test(name)) fail(`--header "${clip(name)}" is not a valid header name`);
    if (BAD_HEADER_VALUE.test(value)) fail(`--header ${name}: the value must be on one line`);
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.includes(lower)) fail(`--header ${name}: this header is set by the HTTP client and cannot be overridden`);
    if (lower === header.toLowerCase()) fail(`--header ${name}: pass the subscription key with --subscription-key-env VAR`);
    headers[name] = value;
    if (/authorization|cookie|key|token|secret|password/i.test(name)) secretHeaders.push(lower);
  }
  let timeoutMs = DEFAULTS.timeoutMs;
  if (flags.timeoutMs !== undefined) {
    const n = typeof flags.timeoutMs === 'number' ? flags.timeoutMs : /^\d+$/.test(flags.timeoutMs) ? Number(flags.timeoutMs) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > 3_600_000) fail(`--timeout-ms must be an integer from 1 to 3600000, not "${flags.timeoutMs}"`);
    timeoutMs = n;
  }
  return {
    name: flags.name ?? 'flags',
    baseUrl: (url as { url: string }).url,
    auth,
    gateway,
    headers,
    secretHeaders,
    writes: DEFAULTS.writes,
    locations: DEFAULTS.locations,
    provider: DEFAULTS.provider,
    timeoutMs,
    pageSize: DEFAULTS.pageSize,
    concurrency: DEFAULTS.concurrency,
    maxOperationsPerPatch: DEFAULTS.maxOperationsPerPatch,
    tls: { insecure: flags.insecure === true },
  };
}
