// The commands of `scimx`. Each one is a thin layer: parse its arguments, call the core client, print.
import { ScimxError } from '../core/errors';
import { shortSecretWarnings, type Profile, type WriteMode } from '../core/profile';
import type { Trace } from '../core/trace';
import type { ScimClient } from '../core/scim/client';
import { trafficPart } from '../core/scim/report';
import type { Discovery, ListOptions, ListPage, MembershipProgress, MembershipReport, ProbeFinding, ProbeRow, ScimResource } from '../core/scim/types';
import type { CommandName } from './args';
import { attr, json, table, tableCells, tableLine, tableWidths } from './format';
import { resolveRefs, type Resolved } from './names';

export interface CommandContext {
  profile: Profile;
  trace: Trace;
  io: { env: NodeJS.ProcessEnv; stderrIsTTY?: boolean };
  /** Masks a text with every secret the run knows: for a text that is cut before it is printed (a table cell),
   * since the writers cannot find a secret that was cut in half. */
  mask?: (text: string) => string;
  /** Redacting writers. */
  out: (text: string) => void;
  /** Set by a command that wrote (and closed) its own JSON document, even on failure: no second one is printed. */
  jsonWritten?: boolean;
  err: (text: string) => void;
  json: boolean;
  /** Positionals after the command word. */
  args: string[];
  values: Record<string, string | boolean | string[] | undefined>;
  signal: AbortSignal;
  progress: (text: string | undefined) => void;
}

export async function runCommand(command: CommandName, client: ScimClient, ctx: CommandContext): Promise<number> {
  switch (command) {
    case 'discover': return discover(client, ctx);
    case 'list': return list(client, ctx);
    case 'get': return get(client, ctx);
    case 'members': return members(client, ctx);
    case 'probe': return probe(client, ctx);
    default: throw new ScimxError('usage', `${command} is not run through the client`);
  }
}

function usage(message: string, command: string): ScimxError {
  return new ScimxError('usage', message, { hint: `scimx ${command} --help` });
}

function str(ctx: CommandContext, key: string): string | undefined {
  const v = ctx.values[key];
  return typeof v === 'string' ? v : undefined;
}

function csv(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const list = v.split(',').map((s) => s.trim()).filter(Boolean);
  return list.length ? list : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// TYPE → endpoint

interface ResolvedType {
  endpoint: string;
  kind: 'user' | 'group' | 'other';
}

const BUILTIN: Record<string, ResolvedType> = {
  users: { endpoint: 'Users', kind: 'user' },
  user: { endpoint: 'Users', kind: 'user' },
  groups: { endpoint: 'Groups', kind: 'group' },
  group: { endpoint: 'Groups', kind: 'group' },
};

/** `Users`, `users`, `Groups` and `groups` need no request; other names are looked up in ResourceTypes. */
async function resolveType(client: ScimClient, ctx: CommandContext, type: string, command: string): Promise<ResolvedType> {
  const t = type.replace(/^\/+/, '').trim();
  if (!t) throw usage('TYPE is empty', command);
  const builtin = BUILTIN[t.toLowerCase()];
  if (builtin) return builtin;
  const d = await client.discover({ signal: ctx.signal, title: 'discover resource types' });
  const lower = t.toLowerCase();
  const rt = d.resourceTypes.find((r) => [r.name, r.id, r.endpoint.replace(/^\/+/, '')].some((n) => n?.toLowerCase() === lower));
  if (!rt) {
    const known = d.resourceTypes.map((r) => `${r.name} (${r.endpoint.replace(/^\/+/, '')})`).join(', ');
    throw usage(`unknown resource type "${type}"${known ? `; the server has: ${known}` : ''}`, command);
  }
  const endpoint = rt.endpoint.replace(/^\/+/, '');
  const kind = /:User$/.test(rt.schema) ? 'user' : /:Group$/.test(rt.schema) ? 'group' : 'other';
  return { endpoint, kind };
}

// ---------------------------------------------------------------------------------------------------------------
// discover

async function discover(client: ScimClient, ctx: CommandContext): Promise<number> {
  // discover is where a profile is checked: secrets too short to be masked in free text are said here
  for (const w of shortSecretWarnings(ctx.profile)) ctx.err(`scimx: warning: ${w.key}: ${w.message}\n`);
  const d = await client.discover({ signal: ctx.signal, title: 'discover', refresh: true });
  if (ctx.json) { ctx.out(json(d)); return 0; }
  ctx.out(formatDiscovery(ctx.profile, d));
  return 0;
}

function yes(b: boolean): string { return b ? 'yes' : 'no'; }

export function formatDiscovery(profile: Profile, d: Discovery): string {
  const c = d.capabilities;
  const paging = [c.index ? 'index' : '', c.cursor ? 'cursor' : ''].filter(Boolean).join(', ') || 'none';
  const lines = [
    `${profile.name}: ${profile.baseUrl}`,
    `capabilities: patch ${yes(c.patch)}, etag ${yes(c.etag)}, filter ${yes(c.filter)}${c.maxResults ? ` (max ${c.maxResults})` : ''}, `
      + `sort ${yes(c.sort)}, bulk ${yes(c.bulk)}, paging ${paging}`
      + `${c.defaultPageSize ? `, page size ${c.defaultPageSize}` : ''}${c.maxPageSize ? ` (max ${c.maxPageSize})` : ''}`,
    '',
    'resource types:',
  ];
  let text = `${lines.join('\n')}\n`;
  text += d.resourceTypes.length
    ? indent(table(['NAME', 'ENDPOINT', 'SCHEMA'], d.resourceTypes.map((r) => [r.name, r.endpoint, r.schema]), 80))
    : '  (none)\n';
  const ids = d.schemas.map((s) => (typeof s.id === 'string' ? s.id : '?'));
  text += `\nschemas: ${ids.length}${ids.length ? `\n${ids.map((i) => `  ${i}`).join('\n')}` : ''}\n`;
  const defaults = d.defaults ?? [];
  for (const x of defaults) text += `default: ${x.document} not offered (${x.reason}): assumed ${x.assumed}\n`;
  for (const w of d.warnings) if (!defaults.some((x) => w.startsWith(`${x.document} not used (`))) text += `warning: ${w}\n`;
  return text;
}

function indent(text: string): string {
  return text.split('\n').map((l) => (l ? `  ${l}` : l)).join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// list

async function list(client: ScimClient, ctx: CommandContext): Promise<number> {
  const type = ctx.args[0] as string;
  let count: number | undefined;
  const rawCount = str(ctx, 'count');
  if (rawCount !== undefined) {
    count = /^\d+$/.test(rawCount) ? Number(rawCount) : NaN;
    if (!Number.isInteger(count) || count < 1 || count > 100_000) throw usage(`--count must be a positive integer, not "${rawCount}"`, 'list');
  }
  const attributes = csv(str(ctx, 'attributes'));
  let excludedAttributes = csv(str(ctx, 'excluded-attributes'));
  const filter = str(ctx, 'filter');
  if (filter !== undefined && !filter.trim()) throw usage('--filter is empty', 'list');
  const rt = await resolveType(client, ctx, type, 'list');
  // Groups are listed without their member lists unless asked.
  const wantsMembers = attributes?.some((a) => a.toLowerCase().startsWith('members'));
  if (rt.kind === 'group' && !wantsMembers && !excludedAttributes) excludedAttributes = ['members'];
  const opts: ListOptions = { signal: ctx.signal };
  if (filter !== undefined) opts.filter = filter;
  if (attributes) opts.attributes = attributes;
  if (excludedAttributes) opts.excludedAttributes = excludedAttributes;
  if (count !== undefined) opts.count = count;

  const startIndex = str(ctx, 'start-index');
  if (startIndex !== undefined) {
    const n = /^\d+$/.test(startIndex) ? Number(startIndex) : NaN;
    if (!Number.isSafeInteger(n) || n < 1) throw usage(`--start-index must be a positive integer, not "${startIndex}"`, 'list');
    opts.startIndex = n;
  }
  const cursor = str(ctx, 'cursor');
  if (cursor !== undefined) {
    if (startIndex !== undefined) throw usage('--cursor and --start-index do not go together', 'list');
    opts.cursor = cursor;
  }
  const columns = attributes
    ? ['id', ...attributes.filter((a) => a !== 'id')]
    : rt.kind === 'user' ? ['id', 'userName', 'displayName', 'active']
      : rt.kind === 'group' ? ['id', 'displayName', 'externalId']
        : ['id', 'displayName', 'name', 'externalId'];
  if (ctx.values.all === true) return listAll(client, ctx, rt.endpoint, opts, columns);
  if (str(ctx, 'max-pages') !== undefined) throw usage('--max-pages goes with --all', 'list');

  // the service's capabilities decide how the page is asked for: by cursor or index, and at most its maxResults
  await client.discover({ signal: ctx.signal, title: 'discover' }).catch(() => undefined);
  const page = await client.listPage(rt.endpoint, opts, { signal: ctx.signal, title: `list ${rt.endpoint}` });
  const resources = page.resources;
  if (ctx.json) {
    ctx.out(json({ totalResults: page.totalResults, startIndex: page.startIndex, itemsPerPage: page.itemsPerPage, nextCursor: page.nextCursor, next: page.next, Resources: resources }));
    return 0;
  }
  const mask = ctx.mask ?? ((t: string) => t);
  ctx.out(table(columns.map((c) => c.toUpperCase()), resources.map((r) => columns.map((c) => mask(attr(r, c))))));
  const total = page.totalResults;
  const more = page.next ? '; more pages: add --all' : '';
  ctx.out(`${resources.length}${total !== undefined ? ` of ${total}` : ''} ${rt.endpoint}${more}\n`);
  return 0;
}

/** Pages `list --all` reads unless --max-pages says otherwise. */
export const LIST_ALL_MAX_PAGES = 10_000;

/**
 * `list --all`, printed page by page as the pages come (memory holds one page, whatever the server's
 * totalResults), and stopped after --max-pages pages with the way to continue (--start-index or --cursor).
 * JSON: one document `{"Resources": [...], "totalResults": N}` written as it goes; stopped early it also
 * has `"next"`, failed midway `"incomplete": true` and `"error"`.
 */
async function listAll(client: ScimClient, ctx: CommandContext, endpoint: string, opts: ListOptions, columns: string[]): Promise<number> {
  const rawMax = str(ctx, 'max-pages');
  let maxPages = LIST_ALL_MAX_PAGES;
  if (rawMax !== undefined) {
    maxPages = /^\d+$/.test(rawMax) ? Number(rawMax) : NaN;
    if (!Number.isInteger(maxPages) || maxPages < 1 || maxPages > 1_000_000) throw usage(`--max-pages must be an integer from 1 to 1000000, not "${rawMax}"`, 'list');
  }
  const headers = columns.map((c) => c.toUpperCase());
  let widths: number[] | undefined;
  let count = 0;
  let first = true;
  if (ctx.json) {
    ctx.jsonWritten = true;
    ctx.out('{\n  "Resources": [');
  }
  const write = (page: ListPage) => {
    if (ctx.json) {
      if (!page.resources.length) return;
      const items = page.resources.map((r) => `    ${JSON.stringify(r, null, 2).replace(/\n/g, '\n    ')}`);
      ctx.out(`${first ? '\n' : ',\n'}${items.join(',\n')}`);
      first = false;
      return;
    }
    const mask = ctx.mask ?? ((t: string) => t);
    const cells = tableCells(headers, page.resources.map((r) => columns.map((c) => mask(attr(r, c)))));
    if (!widths) {
      widths = tableWidths(headers, cells);
      ctx.out(`${tableLine(headers, widths)}\n`);
    }
    if (cells.length) ctx.out(`${cells.map((r) => tableLine(r, widths as number[])).join('\n')}\n`);
  };
  let next: ListPage['next'];
  try {
    next = await client.run(`List all ${endpoint}`, { signal: ctx.signal, title: `list ${endpoint} (all)` }, async (call) => {
      let pages = 0;
      for await (const page of client.pages(call, endpoint, opts)) {
        pages += 1;
        count += page.resources.length;
        write(page);
        ctx.progress(`${endpoint}: ${count}${page.totalResults !== undefined ? ` of ${page.totalResults}` : ''}`);
        if (pages >= maxPages && page.next) return page.next;
      }
      return undefined;
    }, () => `${count} resources`);
  } catch (e) {
    if (ctx.json) {
      const err = e instanceof ScimxError ? e : new ScimxError('response', String(e));
      ctx.out(`${first ? '' : '\n  '}],\n  "totalResults": ${count},\n  "incomplete": true,\n  "error": ${JSON.stringify({ code: err.code, message: err.message })}\n}\n`);
    }
    throw e;
  } finally {
    ctx.progress(undefined);
  }
  if (ctx.json) {
    ctx.out(`${first ? '' : '\n  '}],\n  "totalResults": ${count}${next ? `,\n  "next": ${JSON.stringify(next)}` : ''}\n}\n`);
  } else {
    if (!widths) ctx.out(`${tableLine(headers, tableWidths(headers, []))}\n`);
    ctx.out(`${count} ${endpoint}\n`);
  }
  if (next) {
    const how = next.cursor !== undefined ? `--cursor '${next.cursor.replace(/'/g, `'\\''`)}'` : `--start-index ${next.startIndex}`;
    ctx.err(`scimx: stopped after ${maxPages} page(s) (${count} ${endpoint}), the --max-pages limit of list --all; `
      + `continue with: --all ${how}\n`);
    return rawMax === undefined ? 1 : 0;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------------------------
// get

async function get(client: ScimClient, ctx: CommandContext): Promise<number> {
  const [type, ref] = ctx.args as [string, string];
  if (!ref.trim()) throw usage('ID is empty', 'get');
  const rt = await resolveType(client, ctx, type, 'get');
  const opts: { attributes?: string[]; excludedAttributes?: string[] } = {};
  const attributes = csv(str(ctx, 'attributes'));
  const excluded = csv(str(ctx, 'excluded-attributes'));
  if (attributes) opts.attributes = attributes;
  if (excluded) opts.excludedAttributes = excluded;
  // One filtered read finds it by id or name; asked as `get` would ask, its answer is the resource itself.
  const asGet = !attributes && !excluded;
  const [found] = await resolveRefs(client, rt.endpoint, rt.kind, [ref], {
    signal: ctx.signal, what: rt.kind === 'group' ? 'groups' : rt.kind === 'user' ? 'users' : rt.endpoint, attributes: asGet ? 'default' : ['id'],
  });
  const id = found?.id ?? ref;
  const resource = asGet && found?.resource
    ? found.resource
    : await client.get(rt.endpoint, id, opts, { signal: ctx.signal, title: `get ${rt.endpoint}/${id}` });
  if (found && found.by !== 'id' && found.by !== 'as-given') ctx.err(`scimx: "${ref}" is ${rt.endpoint}/${id} (by ${found.by})\n`);
  ctx.out(json(resource));
  const membersAsked = [...(attributes ?? []), ...(excluded ?? [])].some((a) => a.toLowerCase().startsWith('members'));
  if (rt.kind === 'group' && !membersAsked && !Array.isArray(resource['members'])) {
    ctx.err('scimx: members left out (a group is read without its member list); add --attributes members to read them, '
      + `or run: scimx list Users --filter 'groups.value eq "${id}"'\n`);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------------------------
// members

async function members(client: ScimClient, ctx: CommandContext): Promise<number> {
  const [action] = ctx.args as [string];
  if (action === 'restore' || action === 'undo') return restoreOrUndo(client, ctx, action);
  if (action === 'journal') return journal(client, ctx);
  const [, groupRef, ...userRefs] = ctx.args as [string, string, ...string[]];
  const mode = str(ctx, 'mode') ?? ctx.profile.writes;
  if (!['auto', 'patch', 'put'].includes(mode)) throw usage(`--mode must be auto, patch or put, not "${mode}"`, 'members');
  // ids are opaque (RFC 7643 §3.1): kept as given, only blank ones refused
  if (userRefs.some((u) => !u.trim()) || !groupRef.trim()) throw usage('GROUP and USERs must not be empty', 'members');
  // names or ids: the group with one filtered read, the users with one more (./names.ts)
  const call = { signal: ctx.signal, title: 'discover' };
  const [group] = await resolveRefs(client, await client.groupsEndpoint(call), 'group', [groupRef], { signal: ctx.signal, what: 'groups', attributes: ['id'] });
  const groupId = group?.id ?? groupRef;
  const users = await resolveRefs(client, await client.usersEndpoint(call), 'user', userRefs, { signal: ctx.signal, what: 'users', attributes: ['id'] });
  const ids = [...new Set(users.map((u) => u.id))];
  const named = [group, ...users].filter((r): r is Resolved => !!r && r.by !== 'id' && r.by !== 'as-given');
  if (named.length && !ctx.json) ctx.err(`scimx: ${named.map((r) => `"${r.ref}" is ${r.id}`).join(', ')}\n`);
  const change = action === 'add' ? { add: ids, remove: [] } : { add: [], remove: ids };
  const report = await client.changeMembers(groupId, change, {
    mode: mode as WriteMode,
    onProgress: (p) => ctx.progress(`${p.message} (${p.done}/${p.total})`),
  }, { signal: ctx.signal, title: `${action} ${ids.length} member(s) ${action === 'add' ? 'to' : 'from'} group ${groupId}` });
  ctx.progress(undefined);
  return printMembershipReport(client, ctx, `members ${action}`, report);
}

/** `members restore` puts back what a change lost; `members undo` reverses a change. Both by journal entry
 * (`--from ID`), else the newest of this profile that needs it. */
async function restoreOrUndo(client: ScimClient, ctx: CommandContext, action: 'restore' | 'undo'): Promise<number> {
  const from = str(ctx, 'from');
  const opts = { mode: (str(ctx, 'mode') ?? ctx.profile.writes) as WriteMode, onProgress: (p: MembershipProgress) => ctx.progress(`${p.message} (${p.done}/${p.total})`) };
  const run = { signal: ctx.signal };
  const report = action === 'restore' ? await client.restoreMembers(from, opts, run) : await client.undoChange(from, opts, run);
  ctx.progress(undefined);
  const { entry, ...rest } = report;
  return printMembershipReport(client, ctx, `members ${action} of ${entry.id} (${entry.at})`, rest);
}

async function journal(client: ScimClient, ctx: CommandContext): Promise<number> {
  const entries = client.journalEntries().slice(0, 20);
  if (ctx.json) {
    ctx.out(json({ ok: true, file: client.options.journal?.file, entries }));
    return 0;
  }
  if (!entries.length) {
    ctx.out(`no membership change of profile ${ctx.profile.name} in the journal${client.options.journal ? ` (${client.options.journal.file})` : ''}\n`);
    return 0;
  }
  const rows = entries.map((e) => [
    e.id, e.kind, e.groupId, e.outcome,
    [e.added.length ? `+${e.added.length}` : '', e.removed.length ? `-${e.removed.length}` : '', e.lost.length ? `LOST ${e.lost.length}` : ''].filter(Boolean).join(' ') || '-',
    e.of ?? '',
  ]);
  ctx.out(`${table(['ENTRY', 'KIND', 'GROUP', 'OUTCOME', 'CHANGE', 'OF'], rows, 60)}journal: ${client.options.journal?.file ?? '-'}\n`);
  return 0;
}

function printMembershipReport(client: ScimClient, ctx: CommandContext, what: string, report: MembershipReport): number {
  const failed = report.missing.length > 0 || report.lost.length > 0;
  if (ctx.json) {
    ctx.out(json({ ok: !failed, ...report }));
    return failed ? 1 : 0;
  }
  const all = client.pipeline.stats.requests;
  const verdict = report.verified ? 'verified' : report.collateral.method === 'none' && !report.missing.length ? `NOT verified (${report.collateral.why ?? 'other members not checked'})` : 'NOT verified';
  const lines = [
    `${what}: group ${report.groupId} via ${report.mode.toUpperCase()}, ${verdict}, `
      + `${report.requests} request(s)${all > report.requests ? ` (${all} with discovery)` : ''}`,
  ];
  const row = (label: string, list: string[]) => { if (list.length) lines.push(`  ${label.padEnd(18)}${list.join(', ')}`); };
  row('added:', report.added);
  row('removed:', report.removed);
  row('already present:', report.alreadyPresent);
  row('already absent:', report.alreadyAbsent);
  row('MISSING:', report.missing);
  row('LOST:', report.lost);
  if (report.collateral.method !== 'none') {
    lines.push(`  ${'others checked:'.padEnd(18)}${report.collateral.checked}${report.collateral.method === 'full' ? ' (every other member)' : ' (a sample)'}`);
  }
  const traffic = trafficPart(report);
  if (traffic) lines.push(`  ${traffic} (a PUT reads the whole member list and writes it back)`);
  if (report.concurrentChange) lines.push('  note: someone else changed the group meanwhile (the warnings say what was kept and what was re-applied)');
  for (const w of report.warnings) lines.push(`  warning: ${w}`);
  if (report.journalId) lines.push(`  journal: ${report.journalId} (scimx members undo --from ${report.journalId})`);
  ctx.out(`${lines.join('\n')}\n`);
  if (failed) {
    ctx.err(`scimx: ${report.missing.length} change(s) missing after the write: ${report.missing.join(', ')}\n`
      + '  trace: run with --har FILE to see the exchanges\n');
  }
  return failed ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------------------------
// probe

async function probe(client: ScimClient, ctx: CommandContext): Promise<number> {
  const { rows, findings } = await client.probe({ signal: ctx.signal, title: 'probe' });
  const failed = rows.some((r) => r.verdict === 'fail');
  if (ctx.json) {
    ctx.out(json({ ok: !failed, profile: ctx.profile.name, baseUrl: ctx.profile.baseUrl, rows, findings }));
    return failed ? 1 : 0;
  }
  ctx.out(formatProbe(ctx.profile, rows, findings));
  return failed ? 1 : 0;
}

export function formatProbe(profile: Profile, rows: ProbeRow[], findings: ProbeFinding[] = []): string {
  const headerNames = Object.keys(profile.headers);
  const body = table(
    ['METHOD', 'KEY SENT', 'CUSTOM HEADERS', 'ANSWERED BY', 'STATUS', 'VERDICT', 'DETAIL'],
    rows.map((r) => [
      r.method,
      r.keySent,
      !headerNames.length ? '-' : r.customHeadersMissing.length ? `missing ${r.customHeadersMissing.join(', ')}` : `all ${r.customHeadersSent.length}`,
      r.answeredBy,
      r.status ?? '-',
      r.verdict.toUpperCase(),
      r.detail,
    ]),
    100,
  );
  const fails = rows.filter((r) => r.verdict === 'fail').map((r) => r.method);
  const warns = rows.filter((r) => r.verdict === 'warn').map((r) => r.method);
  const found = findings.map((f) => `finding: ${f.message}${f.fix ? `\n  fix: ${f.fix}` : ''}\n`).join('');
  const summary = fails.length ? `probe: FAILED for ${fails.join(', ')}`
    : warns.length || findings.length ? `probe: ok with warnings${warns.length ? ` for ${warns.join(', ')}` : ''}${findings.length ? `${warns.length ? ';' : ','} ${findings.length} finding${findings.length === 1 ? '' : 's'}` : ''}`
      : 'probe: ok, every method passed the gateway';
  return `${profile.name}: ${profile.baseUrl} (key ${profile.gateway.subscriptionKey ? `as ${profile.gateway.sendAs}` : 'none'})\n${body}${found}${summary}\n`;
}
