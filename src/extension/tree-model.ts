// The SCIM tree as plain data (no `vscode` import, unit-tested): node shapes, paging state and the
// label / description / tooltip / contextValue of each node. ./tree.ts turns a view into a TreeItem.
import type { ConfigProblem } from '../core/errors';
import type { Profile } from '../core/profile';
import { SCHEMA, type ListPage, type Member, type MembershipReport, type ResourceTypeInfo, type ScimResource } from '../core/scim/types';
import { COMMANDS } from './command-ids';

export type ServiceDoc = 'ServiceProviderConfig' | 'ResourceTypes' | 'Schemas';
export const SERVICE_DOCS: readonly ServiceDoc[] = ['ServiceProviderConfig', 'ResourceTypes', 'Schemas'];

/** Items loaded so far under a paged node, and where the next page starts. */
export interface Paging<T> {
  items: T[];
  next?: ListPage['next'];
  total?: number;
  loaded: boolean;
  /** One-line message when the last page failed. */
  error?: string;
  /** The exchange that failed, when known (a click on the error opens it). */
  errorExchange?: string;
  /** One-line note about what was loaded (e.g. members that could not be listed). */
  warning?: string;
}

export interface ProfileNode {
  kind: 'profile'; key: string; profile: Profile;
  /** `${secret:NAME}`s it refers to that are not stored yet: asked for on first use. */
  unsetSecrets?: string[];
}
export interface ProfileErrorNode { kind: 'profileError'; key: string; name: string; file: string; problems: ConfigProblem[] }
export interface ServiceNode { kind: 'service'; key: string; profile: string }
export interface ServiceDocNode { kind: 'serviceDoc'; key: string; profile: string; doc: ServiceDoc }
export interface ResourceTypeNode {
  kind: 'resourceType'; key: string; profile: string; rt: ResourceTypeInfo; filter?: string; paging: Paging<ResourceNode>;
}
export interface ResourceNode {
  kind: 'resource' | 'group'; key: string; profile: string; rt: ResourceTypeInfo; resource: ScimResource; members?: MembersNode;
  /** Tells it apart from a sibling with the same label (set by childrenWithMore). */
  idHint?: string;
}
export interface MembersNode { kind: 'members'; key: string; profile: string; group: ResourceNode; paging: Paging<MemberNode> }
export interface MemberNode {
  kind: 'member'; key: string; profile: string; groupId: string; members: MembersNode; member: Member; name?: string;
  /** Tells it apart from a sibling with the same label (set by childrenWithMore). */
  idHint?: string;
}
export interface LoadMoreNode { kind: 'loadMore'; key: string; owner: ResourceTypeNode | MembersNode }
export interface MessageNode {
  kind: 'message'; key: string; text: string; severity: 'error' | 'warning' | 'info'; detail?: string;
  /** The exchange the message is about: a click opens it in the trace. */
  exchangeId?: string;
}

export type TreeNode =
  | ProfileNode | ProfileErrorNode | ServiceNode | ServiceDocNode | ResourceTypeNode | ResourceNode
  | MembersNode | MemberNode | LoadMoreNode | MessageNode;

export interface ItemView {
  id: string;
  label: string;
  description?: string;
  tooltip?: string;
  contextValue: string;
  /** Codicon id; `color` is a theme colour id. */
  icon: { id: string; color?: string };
  collapsible: 'none' | 'collapsed';
  /** What a screen reader says: the label, then ` · description`. */
  ariaLabel: string;
  command?: { command: string; title: string; arguments?: unknown[] };
}

export function emptyPaging<T>(): Paging<T> {
  return { items: [], loaded: false };
}

export function isGroupType(rt: ResourceTypeInfo): boolean {
  return rt.schema === SCHEMA.group || rt.endpoint.replace(/^\//, '').toLowerCase() === 'groups';
}

export function endpointLabel(rt: ResourceTypeInfo): string {
  return rt.endpoint.replace(/^\/+/, '').replace(/\/+$/, '') || rt.name;
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string' && v.trim()) return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

/** userName for users, displayName for groups, then whatever names the resource. */
export function resourceLabel(r: ScimResource, rt?: ResourceTypeInfo): string {
  const group = rt ? isGroupType(rt) : false;
  const name = r['name'] && typeof r['name'] === 'object' ? str((r['name'] as Record<string, unknown>)['formatted']) : undefined;
  const order = group
    ? [r['displayName'], r['userName'], name, r['externalId']]
    : [r['userName'], r['displayName'], name, r['externalId']];
  for (const v of order) {
    const s = str(v);
    if (s) return s;
  }
  return str(r.id) ?? '(no id)';
}

/** How a member (and a resource's editor tab) is named everywhere: displayName, else userName, else the formatted
 * name or externalId, else the id. The same for a member the server named (`display`), one looked up, one just added. */
export function personLabel(r: ScimResource): string {
  const name = r['name'] && typeof r['name'] === 'object' ? str((r['name'] as Record<string, unknown>)['formatted']) : undefined;
  for (const v of [r['displayName'], r['userName'], name, r['externalId']]) {
    const s = str(v);
    if (s) return s;
  }
  return str(r.id) ?? '(no id)';
}

export function shortId(id: string): string {
  return id.length > 8 ? `${id.slice(0, 8)}…` : id;
}

export function memberLabel(m: Member, resolved?: string): string {
  return str(m.display) ?? str(resolved) ?? m.value;
}

/**
 * What tells rows with the same label apart: the shortest tail of their ids (at least 4 characters) that differs
 * between them, as `…tail`. Rows whose label is unique get none (the full id is in the tooltip): an id prefix
 * shared by every row (a tenant prefix, a GUID's time bits) says nothing.
 */
export function idHints(rows: ReadonlyArray<{ label: string; id: string }>): Map<string, string> {
  const byLabel = new Map<string, string[]>();
  for (const r of rows) byLabel.set(r.label, [...(byLabel.get(r.label) ?? []), r.id]);
  const out = new Map<string, string>();
  for (const ids of byLabel.values()) {
    const distinct = [...new Set(ids)];
    if (distinct.length < 2) continue;
    const longest = Math.max(...distinct.map((i) => i.length));
    let n = Math.min(4, longest);
    while (n < longest && new Set(distinct.map((i) => i.slice(-n))).size < distinct.length) n++;
    for (const id of distinct) out.set(id, id.length > n ? `…${id.slice(-n)}` : id);
  }
  return out;
}

function countText(p: Paging<unknown>): string | undefined {
  if (!p.loaded) return undefined;
  if (p.total !== undefined && p.total !== p.items.length) return `${p.items.length} of ${p.total}`;
  return String(p.total ?? p.items.length);
}

function metaLines(r: ScimResource): string[] {
  const lines = [`id: ${r.id}`];
  const m = r.meta;
  if (m) {
    if (m.resourceType) lines.push(`resourceType: ${m.resourceType}`);
    if (m.location) lines.push(`location: ${m.location}`);
    if (m.version) lines.push(`version: ${m.version}`);
    if (m.created) lines.push(`created: ${m.created}`);
    if (m.lastModified) lines.push(`lastModified: ${m.lastModified}`);
  }
  return lines;
}

export function problemText(p: ConfigProblem): string {
  const where = p.line ? `${p.line}:${p.column}` : '';
  const key = p.key ? ` ${p.key}:` : '';
  return `${where}${key} ${p.message}`.trim();
}

export function profileTooltip(p: Profile): string {
  const lines = [p.name, p.baseUrl, `auth: ${p.auth.type}`];
  lines.push(p.gateway.subscriptionKey ? `gateway key: ${p.gateway.sendAs} (${p.gateway.sendAs === 'query' ? p.gateway.query : p.gateway.header})` : 'gateway key: none');
  lines.push(`writes: ${p.writes}, locations: ${p.locations}, provider: ${p.provider}`);
  if (p.proxy) lines.push(`proxy: ${p.proxy}`);
  if (p.tls.insecure) lines.push('TLS verification off: server certificates are NOT checked (tls.insecure)');
  if (p.source) lines.push(`defined in ${p.source.file}:${p.source.line}`);
  return lines.join('\n');
}

export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

export function viewOf(node: TreeNode): ItemView {
  const v = baseView(node);
  return { ...v, ariaLabel: v.description ? `${v.label} · ${v.description}` : v.label };
}

function baseView(node: TreeNode): Omit<ItemView, 'ariaLabel'> {
  switch (node.kind) {
    case 'profile': {
      const p = node.profile;
      const unset = node.unsetSecrets ?? [];
      return {
        id: node.key, label: p.name,
        description: hostOf(p.baseUrl) + (p.tls.insecure ? ' · TLS verification off' : '') + (unset.length ? ` · secret${unset.length === 1 ? '' : 's'} not set` : ''),
        tooltip: profileTooltip(p) + (unset.length
          ? `\nnot stored yet: ${unset.map((n) => `\${secret:${n}}`).join(', ')} (asked for when you first use this profile; or "SCIM: Set Secret…")`
          : ''),
        contextValue: 'profile', icon: { id: 'server-environment' }, collapsible: 'collapsed',
      };
    }
    case 'profileError': {
      const first = node.problems[0];
      return {
        id: node.key, label: node.name,
        description: first ? problemText(first) : 'invalid',
        tooltip: [node.file, ...node.problems.map((p) => problemText(p))].join('\n'),
        contextValue: 'profileError', icon: { id: 'error', color: 'list.errorForeground' }, collapsible: 'none',
        command: { command: COMMANDS.openProblem, title: 'Open', arguments: [node.file, first?.line ?? 1, first?.column ?? 1] },
      };
    }
    case 'service':
      return { id: node.key, label: 'Service', tooltip: 'Discovery documents', contextValue: 'service', icon: { id: 'info' }, collapsible: 'collapsed' };
    case 'serviceDoc':
      return {
        id: node.key, label: node.doc, contextValue: 'serviceDoc', icon: { id: 'json' }, collapsible: 'none',
        tooltip: `/${node.doc}`, command: { command: COMMANDS.openResource, title: 'Open Resource', arguments: [node] },
      };
    case 'resourceType': {
      const parts: string[] = [];
      const counts = countText(node.paging);
      if (counts) parts.push(counts);
      if (node.filter) parts.push(`filter: ${node.filter}`);
      if (node.paging.error) parts.push('error');
      const label = endpointLabel(node.rt);
      return {
        id: node.key, label, description: parts.join(' · ') || undefined,
        tooltip: [`${node.rt.name} (/${label})`, node.rt.schema, node.rt.description ?? '', node.filter ? `filter: ${node.filter}` : '']
          .filter(Boolean).join('\n'),
        contextValue: 'resourceType',
        icon: { id: isGroupType(node.rt) ? 'organization' : /user/i.test(node.rt.name) ? 'account' : 'symbol-class' },
        collapsible: 'collapsed',
      };
    }
    case 'resource':
    case 'group': {
      const r = node.resource;
      const label = resourceLabel(r, node.rt);
      const members = Array.isArray(r['members']) ? (r['members'] as unknown[]).length : undefined;
      const display = node.kind === 'resource' && str(r['displayName']) !== label ? str(r['displayName']) : undefined;
      const parts = [node.kind === 'group' && members !== undefined ? `${members} member${members === 1 ? '' : 's'}` : display, node.idHint];
      return {
        id: node.key, label, description: parts.filter(Boolean).join(' · ') || undefined, tooltip: metaLines(r).join('\n'),
        contextValue: node.kind, icon: { id: node.kind === 'group' ? 'organization' : 'account' },
        collapsible: node.kind === 'group' ? 'collapsed' : 'none',
        // A click opens a user; a group has no click command, since VS Code then expands only on the twistie.
        command: node.kind === 'group' ? undefined : { command: COMMANDS.openResource, title: 'Open Resource', arguments: [node] },
      };
    }
    case 'members':
      return {
        id: node.key, label: 'Members', description: countText(node.paging) ?? undefined,
        tooltip: `Members of ${resourceLabel(node.group.resource, node.group.rt)}`,
        contextValue: 'members', icon: { id: 'people' }, collapsible: 'collapsed',
      };
    case 'member': {
      const m = node.member;
      return {
        id: node.key, label: memberLabel(m, node.name),
        description: [m.type?.toLowerCase() === 'group' ? 'Group' : undefined, node.idHint].filter(Boolean).join(' · ') || undefined,
        tooltip: [`value: ${m.value}`, m.type ? `type: ${m.type}` : '', m.$ref ? `$ref: ${m.$ref}` : ''].filter(Boolean).join('\n'),
        contextValue: 'member', icon: { id: m.type?.toLowerCase() === 'group' ? 'organization' : 'person' }, collapsible: 'none',
      };
    }
    case 'loadMore':
      return {
        id: node.key, label: 'Load more…', contextValue: 'loadMore', icon: { id: 'ellipsis' }, collapsible: 'none',
        description: countText(node.owner.paging), command: { command: COMMANDS.loadMore, title: 'Load more', arguments: [node] },
      };
    case 'message':
      return {
        id: node.key, label: node.text, tooltip: node.detail ?? node.text, contextValue: 'message',
        icon: { id: node.severity, color: node.severity === 'error' ? 'list.errorForeground' : node.severity === 'warning' ? 'list.warningForeground' : undefined },
        collapsible: 'none',
        ...(node.exchangeId ? { command: { command: COMMANDS.showTrace, title: 'Show the failing exchange', arguments: [node.exchangeId] } } : {}),
      };
  }
}

// ---- building and updating nodes -------------------------------------------------------------

export function resourceNodes(profile: string, rt: ResourceTypeInfo, page: ScimResource[], existing: ResourceNode[]): ResourceNode[] {
  const seen = new Set(existing.map((n) => n.resource.id));
  const kind = isGroupType(rt) ? 'group' : 'resource';
  const out: ResourceNode[] = [];
  for (const r of page) {
    if (!r || typeof r.id !== 'string' || seen.has(r.id)) continue;
    seen.add(r.id);
    out.push({ kind, key: `${profile}/${endpointLabel(rt)}/${r.id}`, profile, rt, resource: r });
  }
  return out;
}

export function membersNodeOf(group: ResourceNode): MembersNode {
  if (!group.members) {
    group.members = { kind: 'members', key: `${group.key}/members`, profile: group.profile, group, paging: emptyPaging() };
  }
  return group.members;
}

export function memberNodes(owner: MembersNode, page: Member[], names: ReadonlyMap<string, string>): MemberNode[] {
  const seen = new Set(owner.paging.items.map((n) => n.member.value));
  const out: MemberNode[] = [];
  for (const m of page) {
    if (!m || typeof m.value !== 'string' || seen.has(m.value)) continue;
    seen.add(m.value);
    out.push({
      kind: 'member', key: `${owner.key}/${m.value}`, profile: owner.profile, groupId: owner.group.resource.id, members: owner,
      member: m, name: names.get(m.value),
    });
  }
  return out;
}

/** Members whose label still needs a lookup (no `display` from the server, no cached name). */
export function unnamedMembers(nodes: MemberNode[]): MemberNode[] {
  return nodes.filter((n) => !str(n.member.display) && !n.name);
}

/**
 * Applies a verified membership report to the loaded members without a reload: removed ones go,
 * added ones are appended (labelled from `names`). Returns how many nodes changed.
 */
export function applyMembershipReport(owner: MembersNode, report: MembershipReport, names: ReadonlyMap<string, string>): number {
  const removed = new Set(report.removed);
  const before = owner.paging.items.length;
  owner.paging.items = owner.paging.items.filter((n) => !removed.has(n.member.value));
  const removedCount = before - owner.paging.items.length;
  const added = memberNodes(owner, report.added.map((value) => ({ value, display: names.get(value) })), names);
  owner.paging.items.push(...added);
  if (owner.paging.total !== undefined) owner.paging.total = Math.max(0, owner.paging.total + added.length - removedCount);
  const changed = removedCount + added.length;
  const g = owner.group.resource;
  if (Array.isArray(g['members'])) {
    const list = (g['members'] as Member[]).filter((m) => !removed.has(m.value));
    list.push(...report.added.filter((v) => !list.some((m) => m.value === v)).map((value) => ({ value })));
    g['members'] = list;
  }
  return changed;
}

/**
 * Adds a loaded page to a paged node (`added`: its items not loaded yet). A "Load more" page whose next page
 * is the one just asked for (the same cursor, a startIndex that did not move), or that brings nothing new and
 * offers more, means the server does not page forward (it ignores startIndex, say): paging stops with a
 * message instead of offering the same page forever.
 */
export function applyPage<T>(paging: Paging<T>, added: T[], page: Pick<ListPage<unknown>, 'resources' | 'next' | 'totalResults' | 'warnings'>, asked: ListPage['next']): void {
  paging.items.push(...added);
  paging.total = page.totalResults;
  if (page.warnings?.length) paging.warning = page.warnings.join('; ');
  paging.loaded = true;
  const next = page.next;
  const stuck = !!asked && !!next && (
    (asked.cursor !== undefined && next.cursor === asked.cursor)
    || (asked.startIndex !== undefined && next.startIndex !== undefined && next.startIndex <= asked.startIndex)
    || (page.resources.length > 0 && added.length === 0));
  if (stuck) {
    paging.next = undefined;
    const how = asked.cursor !== undefined ? 'by its cursor' : `from startIndex ${asked.startIndex ?? 1}`;
    paging.error = `Stopped loading more: asked ${how}, the server answered the same page again (it does not page forward). Refresh to list from the first page.`;
    return;
  }
  paging.next = page.next;
  paging.error = undefined;
  paging.errorExchange = undefined;
}

/** Records a failed page. A cursor the server no longer takes (RFC 9865 invalidCursor, expiredCursor) cannot be
 * retried: "Load more" goes and the message says how to start again; other failures keep it, to try again. */
export function failPage(paging: Paging<unknown>, error: unknown, line: string, asked: ListPage['next']): void {
  const scimType = error && typeof error === 'object' ? (error as { scimType?: unknown }).scimType : undefined;
  const deadCursor = asked?.cursor !== undefined && (scimType === 'invalidCursor' || scimType === 'expiredCursor');
  if (deadCursor) paging.next = undefined;
  paging.error = deadCursor ? `${line} (refresh to list from the first page)` : line;
  paging.errorExchange = failingExchange(error);
  paging.loaded = true;
}

/** Members in the order they are shown: nested groups first, then by label (case and accents aside). */
export function sortMembers(nodes: readonly MemberNode[]): MemberNode[] {
  const rank = (n: MemberNode): number => (n.member.type?.toLowerCase() === 'group' ? 0 : 1);
  return [...nodes].sort((a, b) => rank(a) - rank(b)
    || memberLabel(a.member, a.name).localeCompare(memberLabel(b.member, b.name), undefined, { sensitivity: 'base', numeric: true })
    || a.member.value.localeCompare(b.member.value));
}

/** The exchange a failure is about (its own, or its diagnosis'), for a click that opens it in the trace. */
export function failingExchange(error: unknown): string | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const e = error as { exchangeId?: unknown; diagnosis?: { exchangeId?: unknown } };
  const id = e.exchangeId ?? e.diagnosis?.exchangeId;
  return typeof id === 'string' ? id : undefined;
}

export function childrenWithMore<T extends TreeNode>(owner: ResourceTypeNode | MembersNode, items: T[]): TreeNode[] {
  const shown = owner.kind === 'members' ? sortMembers(items as unknown as MemberNode[]) : [...items];
  const rows = shown.flatMap((n) => (n.kind === 'member' ? [{ node: n, label: memberLabel(n.member, n.name), id: n.member.value }]
    : n.kind === 'resource' || n.kind === 'group' ? [{ node: n, label: resourceLabel(n.resource, n.rt), id: n.resource.id }] : []));
  const hints = idHints(rows);
  for (const r of rows) (r.node as ResourceNode | MemberNode).idHint = hints.get(r.id);
  const out: TreeNode[] = [...shown];
  if (owner.paging.warning) {
    out.push({ kind: 'message', key: `${owner.key}/warning`, text: owner.paging.warning, severity: 'warning' });
  }
  if (owner.paging.error) {
    out.push({ kind: 'message', key: `${owner.key}/error`, text: owner.paging.error, severity: 'error', exchangeId: owner.paging.errorExchange });
  }
  if (owner.paging.next) out.push({ kind: 'loadMore', key: `${owner.key}/more`, owner });
  if (!out.length && owner.paging.loaded) {
    out.push({ kind: 'message', key: `${owner.key}/empty`, text: owner.kind === 'members' ? 'No members' : owner.filter ? 'No match' : 'Empty', severity: 'info' });
  }
  return out;
}
