// scimx members: add or remove members (by id or name), restore what a change lost, undo a change, and the
// journal of changes; and the report of a membership change.
import type { WriteMode } from '../../core/profile';
import type { ScimClient } from '../../core/scim/client';
import { trafficPart } from '../../core/scim/report';
import type { MembershipProgress, MembershipReport } from '../../core/scim/types';
import { json, table } from '../format';
import { resolveRefs, type Resolved } from '../names';
import { str, usage, type CommandContext } from './context';

export async function members(client: ScimClient, ctx: CommandContext): Promise<number> {
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
  // a group whose members the client has read, and members read in it, are known ids: not looked up; --ids: none is
  const asIds = ctx.values.ids === true;
  const knownGroup = asIds || client.knownSizeOf(groupRef) !== undefined || client.knownMembersOf(groupRef).length > 0;
  const [group] = await resolveRefs(client, await client.groupsEndpoint(call), 'group', [groupRef], { signal: ctx.signal, what: 'groups', attributes: ['id'], knownIds: new Set(knownGroup ? [groupRef] : []) });
  const groupId = group?.id ?? groupRef;
  const users = await resolveRefs(client, await client.usersEndpoint(call), 'user', userRefs, { signal: ctx.signal, what: 'users', attributes: ['id'], knownIds: new Set(asIds ? userRefs : client.knownMembersOf(groupId)) });
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
