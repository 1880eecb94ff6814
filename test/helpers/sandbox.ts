// Helpers for tests that need the sandbox: start one (ports chosen at run time), build the headers a correct
// client would send, and call it with undici.
import { request } from 'undici';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/index';

export type { Sandbox, SandboxOptions } from '../../src/sandbox/index';

export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** Start a sandbox with fixed, known credentials (small by default: 20 users, 3 groups). */
export function startTestSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  return startSandbox({
    users: 20,
    groups: 3,
    key: 'test-subscription-key-0123456789',
    auth: { type: 'basic', username: 'scim-test', password: 'scim-test-password' },
    seed: 7,
    ...options,
  });
}

/** The Authorization header value for the sandbox's SCIM auth, if any. */
export function authHeader(sb: Sandbox): string | undefined {
  const a = sb.auth;
  if (!a || a.type === 'none') return undefined;
  if (a.type === 'basic') return `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}`;
  return `Bearer ${a.token}`;
}

/** Headers of a well-behaved client: key in the header, SCIM auth, SCIM content type. */
export function goodHeaders(sb: Sandbox, extra: Record<string, string> = {}): Record<string, string> {
  const h: Record<string, string> = { [sb.keyHeader]: sb.key, 'content-type': 'application/scim+json', accept: 'application/scim+json' };
  const auth = authHeader(sb);
  if (auth) h['authorization'] = auth;
  return { ...h, ...extra };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): unknown;
}

/** One request with undici; `url` is absolute or relative to the gateway URL. */
export async function call(
  sb: Sandbox,
  method: string,
  url: string,
  opts: { headers?: Record<string, string>; body?: unknown } = {},
): Promise<Answer> {
  const target = /^https?:/.test(url) ? url : `${sb.gatewayUrl}${url}`;
  const res = await request(target, {
    method: method as 'GET',
    headers: opts.headers ?? goodHeaders(sb),
    body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) as unknown };
}
