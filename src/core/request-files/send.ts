// Sending the requests of a request file (./parse.ts) through a profile: each block is one operation of the
// trace, sent by the client's pipeline like every other request, so the gateway key, the profile's headers and
// its auth go on every block, and credentials go to the profile's own origin only.
//
// - A block's path is relative to the profile's base URL. An absolute URL must be on the profile's origin and
//   under its base path: anything else is refused before anything is sent (the credentials would follow it).
// - Headers the profile owns are not sent from the block, and each is said (value masked): `Authorization`
//   (the profile's auth wins, or none is sent), the gateway key header and query parameter (the profile's key
//   wins), the profile's own extra headers, and what the pipeline sets (Accept, Content-Type, User-Agent, Host…).
// - A PUT or PATCH of a group that changes its members (./members-intent.ts) goes out as written, inside the
//   membership safety net: read before, checked after, a loss named and journaled like `scimx members` does
//   (guardMembershipWrite). The request is not rewritten: a raw request is how a person finds out what a server
//   does with one shape; the net is what makes that safe to try.
import { ScimxError, toScimxError } from '../errors';
import { joinBase, underBasePath } from '../http/locations';
import { maskAuthorization, maskValue } from '../http/mask';
import type { HttpMethod, HttpResponse, RequestSpec } from '../http/types';
import { profileOrigin, type Profile } from '../profile';
import type { Call, ScimClient } from '../scim/client';
import { guardMembershipWrite, type RawMembershipIntent } from '../scim/membership/raw';
import type { MembershipReport } from '../scim/types';
import type { HeaderList } from '../trace';
import type { Diagnosis } from '../diagnosis';
import { membersIntent } from './members-intent';
import { ABSOLUTE_URL, blockLabel, formatRequestProblem, selectBlocks, type RequestBlock, type RequestFile } from './parse';

/** A block checked against the profile, ready to send: nothing here has touched the network. */
export interface PreparedRequest {
  block: RequestBlock;
  spec: RequestSpec;
  /** Path segments below the base URL (decoded), e.g. `['Groups', 'g1']`. */
  segments: string[];
  /** What the block asked that is not sent as asked (headers the profile owns), values masked. */
  warnings: string[];
}

export interface SendResult {
  index: number;
  name?: string;
  method: HttpMethod;
  target: string;
  /** The URL as sent (secrets masked), when something was sent. */
  url?: string;
  status?: number;
  statusText?: string;
  /** Response headers as received, secret ones masked. */
  headers: HeaderList;
  /** Response body, every known secret masked. */
  body: string;
  /** The body parsed, when it is JSON. */
  json?: unknown;
  durationMs?: number;
  warnings: string[];
  /** The membership check around a write that changed a group's members. */
  membership?: MembershipReport;
  /** 2xx, and, for a membership write, nothing lost and the change in effect. */
  ok: boolean;
  error?: { code: string; message: string; hint?: string };
  diagnosis?: Diagnosis;
  operationId?: string;
  exchangeId?: string;
}

/** Header names the pipeline sets itself (besides auth, the key and the profile's own headers). */
const PIPELINE_HEADERS = ['accept', 'content-type', 'user-agent', 'host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive',
  'upgrade', 'expect', 'te', 'trailer', 'proxy-authorization', 'proxy-connection'];

/** Checks a block against the profile (problems, origin, headers); throws ScimxError('usage') naming the line. */
export function prepareRequest(profile: Profile, block: RequestBlock, file = 'request file'): PreparedRequest {
  const first = block.problems[0];
  if (first) throw new ScimxError('usage', formatRequestProblem(file, first), { hint: block.problems.length > 1 ? `${block.problems.length} problems in this request` : undefined });
  const at = `${file}:${block.requestLine}`;
  const base = profile.baseUrl;
  let url: URL;
  const absolute = ABSOLUTE_URL.test(block.target);
  try {
    url = new URL(absolute ? block.target : joinBase(base, block.target));
  } catch {
    throw new ScimxError('usage', `${at}: "${block.target}" is not a valid URL.`);
  }
  if (absolute && url.origin !== profileOrigin(profile)) {
    throw new ScimxError('usage', `${at}: ${url.origin} is not the origin of profile "${profile.name}" (${profileOrigin(profile)}): a request file sends the profile's credentials to its own origin only, so nothing was sent.`, {
      hint: `Write the path relative to the base URL (e.g. "${block.method} ${url.pathname.split('/').filter(Boolean).slice(-2).join('/') || 'Users'}"), or use a profile for ${url.origin}.`,
    });
  }
  if (!underBasePath(base, url)) {
    throw new ScimxError('usage', `${at}: "${block.target}" leads outside the base URL of profile "${profile.name}" (${url.pathname} is not under ${new URL(base).pathname}); nothing was sent.`, {
      hint: 'Paths are relative to the base URL: "GET Users", "PATCH Groups/ID".',
    });
  }
  const warnings: string[] = [];
  const g = profile.gateway;
  if (url.searchParams.has(g.query)) {
    warnings.push(`line ${block.requestLine}: query parameter ${g.query} (${maskValue(url.searchParams.get(g.query) ?? '')}) is not sent: ${g.subscriptionKey ? `the profile's gateway key is (sent as ${g.sendAs})` : 'the gateway key comes from the profile only, and this profile has none'}.`);
  }
  const pass: Record<string, string> = {};
  const own = new Map(Object.keys(profile.headers).map((n) => [n.toLowerCase(), n]));
  for (const h of block.headers) {
    const lower = h.name.toLowerCase();
    const where = `line ${h.line}: ${h.name}`;
    if (lower === 'authorization') {
      const auth = profile.auth.type;
      warnings.push(`${where} (${maskAuthorization(h.value)}) is not sent: ${auth === 'none'
        ? 'credentials come from the profile only, and this profile sends none (auth: none)'
        : `the profile's ${auth} auth is (credentials come from the profile only)`}.`);
    } else if (lower === g.header.toLowerCase()) {
      warnings.push(`${where} (${maskValue(h.value)}) is not sent: ${g.subscriptionKey ? `the profile's gateway key is (sent as ${g.sendAs})` : 'the gateway key comes from the profile only, and this profile has none'}.`);
    } else if (own.has(lower)) {
      warnings.push(`${where} is not sent: the profile's own ${own.get(lower)} header is.`);
    } else if (PIPELINE_HEADERS.includes(lower)) {
      const what = lower === 'content-type' ? ' (application/scim+json)' : lower === 'accept' ? ' (application/scim+json, application/json)' : '';
      warnings.push(`${where} is not sent: the pipeline sets it${what}.`);
    } else {
      pass[h.name] = pass[h.name] === undefined ? h.value : `${pass[h.name]}, ${h.value}`;
    }
  }
  const baseSegs = new URL(base).pathname.split('/').filter(Boolean).length;
  const segments = url.pathname.split('/').filter(Boolean).slice(baseSegs).map(decodeSegment);
  const spec: RequestSpec = {
    method: block.method,
    url: absolute ? url.toString() : block.target.replace(/^\/+/, ''),
    headers: Object.keys(pass).length ? pass : undefined,
    // the body as written (checked to be JSON): a raw request is sent as the person wrote it
    body: block.body ? Buffer.from(block.body.text, 'utf8') : undefined,
  };
  return { block, spec, segments, warnings };
}

function decodeSegment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Thrown inside the operation to end it as failed, caught outside to return the result. */
class NotOk extends ScimxError {
  constructor(readonly result: SendResult, message: string, diagnosis?: Diagnosis) {
    super('http', message, { diagnosis });
  }
}

export interface SendOptions {
  signal?: AbortSignal;
}

/** Sends one prepared block in an operation of its own. Never throws for an answer (any status is a result),
 * nor for a failure to get one (the result says it); throws only when cancelled. */
export async function sendRequest(client: ScimClient, prepared: PreparedRequest, opts: SendOptions = {}): Promise<SendResult> {
  const { block } = prepared;
  const result: SendResult = {
    index: block.index, name: block.name, method: block.method, target: block.target, headers: [], body: '', warnings: [...prepared.warnings], ok: false,
  };
  const title = `Send ${blockLabel(block)}`;
  try {
    return await client.run(title, { signal: opts.signal, title }, async (call) => {
      result.operationId = call.operation.id;
      const res = await sendIn(client, call, prepared, result);
      fill(client, result, res);
      const lost = result.membership?.lost.length ?? 0;
      const missing = result.membership?.missing.length ?? 0;
      result.ok = res.status >= 200 && res.status < 300 && !lost && !missing && !result.error;
      if (!result.ok) {
        const why = result.error?.message
          ?? (res.status >= 300 ? `${block.method} ${res.url} answered ${res.status}` : `${missing} membership change(s) not in effect after the write`);
        throw new NotOk(result, why, result.diagnosis);
      }
      return result;
    }, (r) => `${r.status ?? '-'}${r.membership ? `, members ${r.membership.verified ? 'verified' : 'NOT verified'}` : ''}`);
  } catch (e) {
    if (e instanceof NotOk) return e.result;
    const err = toScimxError(e);
    if (err.code === 'cancelled') throw err;
    result.ok = false;
    result.error = { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) };
    if (err.diagnosis) result.diagnosis = err.diagnosis;
    if ('report' in err) result.membership = (err as ScimxError & { report: MembershipReport }).report;
    return result;
  }
}

async function sendIn(client: ScimClient, call: Call, prepared: PreparedRequest, result: SendResult): Promise<HttpResponse> {
  const { block, spec, segments } = prepared;
  const write = async (): Promise<HttpResponse> => {
    const res = await client.request(call, spec, () => true);
    // the block's own warnings go on its exchange too: the trace shows what was not sent as asked
    if (result.warnings.length) {
      res.exchange.warnings.push(...result.warnings);
      client.trace.touchExchange(res.exchange);
    }
    if (res.status >= 400) result.diagnosis = client.diagnose(res.exchange, call.operation);
    return res;
  };
  if ((block.method !== 'PUT' && block.method !== 'PATCH') || segments.length !== 2) return write();
  const groups = (await client.groupsEndpoint({ operation: call.operation, signal: call.signal })).replace(/^\/+|\/+$/g, '');
  if (segments[0]?.toLowerCase() !== groups.toLowerCase()) return write();
  const intent = membersIntent(block.method, block.body?.json);
  if (!intent) return write();
  const groupId = segments[1] as string;
  result.warnings.push(...intent.notes.map((n) => `members: ${n}`));
  const raw: RawMembershipIntent = intent.kind === 'delta' ? { change: { add: intent.add, remove: intent.remove } } : { desired: intent.desired };
  let wrote = false;
  const sent = (): Promise<HttpResponse> => {
    wrote = true;
    return write();
  };
  let guarded: Awaited<ReturnType<typeof guardMembershipWrite<HttpResponse>>>;
  try {
    guarded = await guardMembershipWrite(client, call, groupId, block.method, raw, sent);
  } catch (e) {
    const err = toScimxError(e);
    // the group could not be read before the write: say that the request itself was not sent
    if (!wrote && err.code !== 'cancelled') err.message = `${err.message} (reading group ${groupId} before the ${block.method}; the ${block.method} was not sent)`;
    throw err;
  }
  const { result: res, report, failure } = guarded;
  result.membership = report;
  if (failure) result.error = { code: failure.code, message: failure.message, ...(failure.hint ? { hint: failure.hint } : {}) };
  return res;
}

function fill(client: ScimClient, result: SendResult, res: HttpResponse): void {
  const ex = res.exchange;
  result.url = ex.request.url;
  result.status = res.status;
  result.statusText = ex.response?.statusText;
  result.headers = ex.response?.headers ?? [];
  result.body = client.pipeline.mask(res.text);
  if (res.json !== undefined) {
    try {
      result.json = JSON.parse(result.body) as unknown;
    } catch {
      result.json = undefined;
    }
  }
  result.durationMs = ex.timings.end;
  result.exchangeId = ex.id;
}

export interface SendFileOptions extends SendOptions {
  /** `--name`: a block's name, or its 1-based position. */
  name?: string;
  /** Go on after a block that failed (default: stop, as a script would). */
  keepGoing?: boolean;
  /** The file's name in messages (`FILE:LINE:COLUMN`). */
  file?: string;
  /** Called with each result as it comes. */
  onResult?: (r: SendResult) => void;
}

/** Every block the file (or `name`) selects, checked first (nothing is sent when one is wrong), then sent in
 * order; stops after the first that is not ok unless `keepGoing`. */
export async function sendRequestFile(client: ScimClient, file: RequestFile, opts: SendFileOptions = {}): Promise<SendResult[]> {
  const where = opts.file ?? 'request file';
  const blocks = selectBlocks(file, opts.name);
  if (!blocks.length) {
    if (opts.name !== undefined) {
      const names = file.blocks.map((b, i) => b.name ?? `${i + 1}`).join(', ');
      throw new ScimxError('usage', `${where} has no request named "${opts.name}"${names ? `; it has: ${names}` : ''}.`);
    }
    const p = file.problems[0];
    throw new ScimxError('usage', p ? formatRequestProblem(where, p) : `${where} has no request (a request is "METHOD path", e.g. "GET Users").`);
  }
  const prepared = blocks.map((b) => prepareRequest(client.profile, b, where));
  const out: SendResult[] = [];
  for (const p of prepared) {
    const r = await sendRequest(client, p, opts);
    out.push(r);
    opts.onResult?.(r);
    if (!r.ok && !opts.keepGoing) break;
  }
  return out;
}
