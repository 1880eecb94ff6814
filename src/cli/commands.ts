// The commands of `scimx`. Each one is a thin layer: parse its arguments, call the core client, print.
import { ScimxError } from '../core/errors';
import type { Profile } from '../core/profile';
import type { Trace } from '../core/trace';
import type { ScimClient } from '../core/scim/client';
import { trafficPart } from '../core/scim/report';
import type { Discovery, ListOptions, ListPage, MembershipMode, MembershipProgress, MembershipReport, ProbeFinding, ProbeRow, ScimResource } from '../core/scim/types';
import type { CommandName } from './args';
import { attr, json, table } from './format';

export interface CommandContext {
  profile: Profile;
  trace: Trace;
  io: { env: NodeJS.ProcessEnv; stderrIsTTY?: boolean };
  /** Redacting writers. */
  out: (text: string) => void;
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

  let resources: ScimResource[];
  let page: ListPage | undefined;
  if (ctx.values.all === true) {
    resources = await client.listAll(rt.endpoint, {
      ...opts,
      onPage: (p, fetched) => ctx.progress(`${rt.endpoint}: ${fetched}${p.totalResults !== undefined ? ` of ${p.totalResults}` : ''}`),
    }, { signal: ctx.signal, title: `list ${rt.endpoint} (all)` });
    ctx.progress(undefined);
  } else {
    // the service's capabilities decide how the page is asked for: by cursor or index, and at most its maxResults
    await client.discover({ signal: ctx.signal, title: 'discover' }).catch(() => undefined);
    page = await client.listPage(rt.endpoint, opts, { signal: ctx.signal, title: `list ${rt.endpoint}` });
    resources = page.resources;
  }

  if (ctx.json) {
    const doc: Record<string, unknown> = page
      ? { totalResults: page.totalResults, startIndex: page.startIndex, itemsPerPage: page.itemsPerPage, nextCursor: page.nextCursor, next: page.next, Resources: resources }
      : { totalResults: resources.length, Resources: resources };
    ctx.out(json(doc));
    return 0;
  }
  const columns = attributes
    ? ['id', ...attributes.filter((a) => a !== 'id')]
    : rt.kind === 'user' ? ['id', 'userName', 'displayName', 'active']
      : rt.kind === 'group' ? ['id', 'displayName', 'externalId']
        : ['id', 'displayName', 'name', 'externalId'];
  ctx.out(table(columns.map((c) => c.toUpperCase()), resources.map((r) => columns.map((c) => attr(r, c)))));
  const shown = resources.length;
  if (page) {
    const total = page.totalResults;
    const more = page.next ? '; more pages: add --all' : '';
    ctx.out(`${shown}${total !== undefined ? ` of ${total}` : ''} ${rt.endpoint}${more}\n`);
  } else {
    ctx.out(`${shown} ${rt.endpoint}\n`);
  }
  return 0;
}

// ---------------------------------------------------------------------------------------------------------------
// get

async function get(client: ScimClient, ctx: CommandContext): Promise<number> {
  const [type, id] = ctx.args as [string, string];
  if (!id.trim()) throw usage('ID is empty', 'get');
  const rt = await resolveType(client, ctx, type, 'get');
  const opts: { attributes?: string[]; excludedAttributes?: string[] } = {};
  const attributes = csv(str(ctx, 'attributes'));
  const excluded = csv(str(ctx, 'excluded-attributes'));
  if (attributes) opts.attributes = attributes;
  if (excluded) opts.excludedAttributes = excluded;
  const resource = await client.get(rt.endpoint, id, opts, { signal: ctx.signal, title: `get ${rt.endpoint}/${id}` });
  ctx.out(json(resource));
  return 0;
}

// ---------------------------------------------------------------------------------------------------------------
// members

async function members(client: ScimClient, ctx: CommandContext): Promise<number> {
  const [action] = ctx.args as [string];
  if (action === 'restore' || action === 'undo') return restoreOrUndo(client, ctx, action);
  if (action === 'journal') return journal(client, ctx);
  const [, groupId, ...userIds] = ctx.args as [string, string, ...string[]];
  const mode = str(ctx, 'mode') ?? ctx.profile.writes;
  if (!['auto', 'patch', 'put'].includes(mode)) throw usage(`--mode must be auto, patch or put, not "${mode}"`, 'members');
  // ids are opaque (RFC 7643 §3.1): kept as given, only blank ones refused
  const ids = [...new Set(userIds)];
  if (ids.some((u) => !u.trim()) || !groupId.trim()) throw usage('GROUP_ID and USER_IDs must not be empty', 'members');
  const change = action === 'add' ? { add: ids, remove: [] } : { add: [], remove: ids };
  const report = await client.changeMembers(groupId, change, {
    mode: mode as MembershipMode,
    onProgress: (p) => ctx.progress(`${p.message} (${p.done}/${p.total})`),
  }, { signal: ctx.signal, title: `${action} ${ids.length} member(s) ${action === 'add' ? 'to' : 'from'} group ${groupId}` });
  ctx.progress(undefined);
  return printMembershipReport(client, ctx, `members ${action}`, report);
}

/** `members restore` puts back what a change lost; `members undo` reverses a change. Both by journal entry
 * (`--from ID`), else the newest of this profile that needs it. */
async function restoreOrUndo(client: ScimClient, ctx: CommandContext, action: 'restore' | 'undo'): Promise<number> {
  const from = str(ctx, 'from');
  const opts = { mode: (str(ctx, 'mode') ?? ctx.profile.writes) as MembershipMode, onProgress: (p: MembershipProgress) => ctx.progress(`${p.message} (${p.done}/${p.total})`) };
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
