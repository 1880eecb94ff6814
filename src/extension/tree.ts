// The SCIM tree (TreeDataProvider): profile → Service / resource types → resources → a group's Members.
// Children are loaded on expand, paged with a "Load more…" item; node shapes and labels are in
// ./tree-model.ts. Paging state lives on the nodes, so collapsing and expanding keeps what was loaded.
import * as vscode from 'vscode';
import { stringify, type Filter } from 'scim2-parse-filter';
import { SCHEMA, type MembershipReport } from '../core/scim/types';
import { failureLine } from './messages';
import type { ProfileStore } from './profiles';
import type { Clients } from './session';
import {
  SERVICE_DOCS, applyPage, childrenWithMore, emptyPaging, endpointLabel, failPage, failingExchange, memberNodes, membersNodeOf, personLabel,
  resourceLabel,
  resourceNodes, unnamedMembers, applyMembershipReport, viewOf,
  type LoadMoreNode, type MemberNode, type MembersNode, type ProfileNode, type ResourceTypeNode, type TreeNode,
} from './tree-model';

export class ScimTree implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<TreeNode | undefined | void>();
  readonly onDidChangeTreeData = this.emitter.event;
  /** Children of profile nodes (Service + resource types), by profile name; dropped on refresh. */
  private readonly profileChildren = new Map<string, Promise<TreeNode[]>>();
  /** Profile nodes by name, kept while their profile is unchanged (VS Code keeps them expanded, with their children). */
  private readonly profileNodes = new Map<string, ProfileNode>();
  private readonly parents = new WeakMap<TreeNode, TreeNode>();
  /** Nodes VS Code knows now: the children last returned for each parent (ROOT for the roots). A change event
   * for any other node (one replaced by a reload while a request was in flight) would be a TreeError
   * "Data tree node not found", so it is not sent: the refresh that replaced it covers it. */
  private readonly live = new WeakSet<TreeNode>();
  private readonly kids = new WeakMap<object, TreeNode[]>();
  private readonly ROOT = {};
  private readonly sub: vscode.Disposable;

  constructor(private readonly profiles: ProfileStore, private readonly clients: Clients, private readonly log: vscode.LogOutputChannel) {
    // Only the profiles that changed lose their clients and loaded children (a save re-runs Discover and List for
    // those alone); the others keep what they show.
    this.sub = profiles.onDidChange(({ changed }) => {
      this.clients.reset(changed);
      if (!changed) {
        this.profileChildren.clear();
        this.profileNodes.clear();
      }
      for (const name of changed ?? []) {
        this.profileChildren.delete(name);
        this.profileNodes.delete(name);
      }
      this.fire();
    });
  }

  dispose(): void {
    this.sub.dispose();
    this.emitter.dispose();
  }

  getTreeItem(node: TreeNode): vscode.TreeItem {
    const v = viewOf(node);
    const item = new vscode.TreeItem(v.label, v.collapsible === 'collapsed' ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = v.id;
    item.description = v.description;
    item.tooltip = v.tooltip;
    // Screen readers (and the e2e test) read the label first; the tooltip would be read otherwise.
    item.accessibilityInformation = { label: v.ariaLabel };
    item.contextValue = v.contextValue;
    item.iconPath = new vscode.ThemeIcon(v.icon.id, v.icon.color ? new vscode.ThemeColor(v.icon.color) : undefined);
    if (v.command) item.command = v.command;
    return item;
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return this.parents.get(node);
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    const children = await this.children(node);
    const key = node ?? this.ROOT;
    const kept = new Set(children);
    for (const old of this.kids.get(key) ?? []) if (!kept.has(old)) this.forget(old);
    this.kids.set(key, children);
    for (const c of children) {
      this.live.add(c);
      if (node) this.parents.set(c, node);
    }
    return children;
  }

  private forget(node: TreeNode): void {
    this.live.delete(node);
    for (const k of this.kids.get(node) ?? []) this.forget(k);
    this.kids.delete(node);
  }

  /** A change event, for the whole tree or for a node VS Code still knows (see `live`). */
  private fire(node?: TreeNode): void {
    if (node && !this.live.has(node)) return;
    this.emitter.fire(node);
  }

  /** Re-read a node's children (or everything, profiles files included, without a node). */
  refresh(node?: TreeNode): void {
    if (!node) {
      // "Refresh" on the view: everything, asked for by the user, what was learnt of the providers too
      this.clients.forgetLearnt();
      this.clients.reset();
      this.profileChildren.clear();
      this.profileNodes.clear();
      this.profiles.reload(0);
      return;
    }
    switch (node.kind) {
      case 'profile':
        this.profileChildren.delete(node.profile.name);
        void this.clients.get(node.profile.name).then((c) => c.discover({ refresh: true, title: 'Discover (refresh)' })).catch(() => undefined)
          .finally(() => this.fire(node));
        return;
      case 'resourceType':
        node.paging = emptyPaging();
        break;
      case 'members':
        node.paging = emptyPaging();
        break;
      case 'group':
        if (node.members) node.members.paging = emptyPaging();
        break;
      case 'member':
        node.members.paging = emptyPaging();
        this.fire(node.members);
        return;
      default:
        break;
    }
    this.fire(node);
  }

  /** Redraws a list's item (its count) once the children being returned are in VS Code's hands. A change event
   * for that node itself makes VS Code 1.139's extension host forget the children it just handed out while the
   * window keeps showing them: none of them could be expanded any more ("No tree item with id … found", seen in
   * test/e2e). A change event for the whole tree re-reads every expanded node instead; every list is loaded by
   * then, so it re-reads nothing from the server. */
  private redrawSoon(node: TreeNode): void {
    setTimeout(() => { if (this.live.has(node)) this.fire(); }, 0);
  }

  changed(node?: TreeNode): void {
    this.fire(node);
  }

  async loadMore(node: LoadMoreNode): Promise<void> {
    await this.loadPage(node.owner);
    this.fire(node.owner);
  }

  setFilter(node: ResourceTypeNode, filter: string | undefined): void {
    node.filter = filter?.trim() || undefined;
    node.paging = emptyPaging();
    this.fire(node);
  }

  /** Updates a group's loaded members from a verified change, without reloading them. */
  applyReport(owner: MembersNode, report: MembershipReport): void {
    applyMembershipReport(owner, report, this.clients.names(owner.profile));
    this.fire(owner);
  }

  private async children(node?: TreeNode): Promise<TreeNode[]> {
    if (!node) return this.roots();
    switch (node.kind) {
      case 'profile': {
        let c = this.profileChildren.get(node.profile.name);
        if (!c) this.profileChildren.set(node.profile.name, (c = this.discover(node.profile.name)));
        const list = await c;
        if (list.length === 1 && list[0]?.kind === 'message') this.profileChildren.delete(node.profile.name);
        return list;
      }
      case 'service':
        return SERVICE_DOCS.map((doc) => ({ kind: 'serviceDoc' as const, key: `${node.profile}/service/${doc}`, profile: node.profile, doc }));
      case 'resourceType':
      case 'members':
        if (!node.paging.loaded) {
          await this.loadPage(node);
          // VS Code drew this node's item before its children were read: draw it again, with its count.
          this.redrawSoon(node);
        }
        return node.kind === 'members' ? childrenWithMore(node, node.paging.items) : childrenWithMore(node, node.paging.items);
      case 'group':
        return [membersNodeOf(node)];
      default:
        return [];
    }
  }

  private async roots(): Promise<TreeNode[]> {
    const set = await this.profiles.load();
    const out: TreeNode[] = set.notices.map((text, i) => ({ kind: 'message' as const, key: `notice/${i}`, text, severity: 'info' as const }));
    for (const p of set.profiles) {
      let node = this.profileNodes.get(p.name);
      if (!node) this.profileNodes.set(p.name, (node = { kind: 'profile', key: `profile/${p.name}`, profile: p }));
      node.profile = p;
      node.unsetSecrets = set.unsetSecrets.get(p.name);
      out.push(node);
    }
    for (const e of set.errors) out.push({ kind: 'profileError', key: `error/${e.file}/${e.name}`, name: e.name, file: e.file, problems: e.problems });
    // No profiles and nothing to say: an empty tree shows the welcome view. A notice (an untrusted workspace
    // whose profiles files are ignored) is worth saying even then: "no profiles yet" would be untrue.
    return set.profiles.length || set.errors.length || set.notices.length ? out : [];
  }

  private async discover(profile: string): Promise<TreeNode[]> {
    try {
      const client = await this.clients.get(profile);
      const d = await client.discover({ title: 'Discover' });
      const out: TreeNode[] = [{ kind: 'service', key: `${profile}/service`, profile }];
      for (const rt of d.resourceTypes) {
        out.push({ kind: 'resourceType', key: `${profile}/${endpointLabel(rt)}`, profile, rt, paging: emptyPaging() });
      }
      for (const w of d.warnings) this.log.warn(`[${profile}] ${w}`);
      return out;
    } catch (e) {
      this.log.error(`[${profile}] discovery failed: ${failureLine(e)}`);
      return [{ kind: 'message', key: `${profile}/error`, text: failureLine(e), severity: 'error', detail: 'Refresh the profile to try again; a click shows the failing exchange in the trace.', exchangeId: failingExchange(e) }];
    }
  }

  private async loadPage(owner: ResourceTypeNode | MembersNode): Promise<void> {
    // `next` is what the last page said: a startIndex, or the server's cursor (RFC 9865)
    const next = owner.paging.next;
    try {
      const client = await this.clients.get(owner.profile);
      if (owner.kind === 'resourceType') {
        const group = owner.rt.schema === SCHEMA.group || /^groups$/i.test(endpointLabel(owner.rt));
        const page = await client.listPage(owner.rt.endpoint, {
          filter: owner.filter, excludedAttributes: group ? ['members'] : undefined, ...(next ?? {}),
        }, { title: `List ${endpointLabel(owner.rt)}${owner.filter ? ` where ${owner.filter}` : ''}` });
        applyPage(owner.paging, resourceNodes(owner.profile, owner.rt, page.resources, owner.paging.items), page, next);
      } else {
        const groupLabel = resourceLabel(owner.group.resource, owner.group.rt);
        const page = await client.membersPage(owner.group.resource.id, { ...(next ?? {}) }, { title: `Members of ${groupLabel}` });
        const added = memberNodes(owner, page.resources, this.clients.names(owner.profile));
        applyPage(owner.paging, added, page, next);
        void this.resolveNames(owner, unnamedMembers(added));
      }
    } catch (e) {
      failPage(owner.paging, e, failureLine(e), next);
      this.log.error(`[${owner.profile}] ${owner.kind === 'members' ? 'members' : endpointLabel(owner.rt)}: ${owner.paging.error}`);
    }
  }

  /** Member labels: one filtered read per 50 members (`id eq … or id eq …`), users and groups apart. */
  private async resolveNames(owner: MembersNode, nodes: MemberNode[]): Promise<void> {
    if (!nodes.length) return;
    const names = this.clients.names(owner.profile);
    const byEndpoint = new Map<string, MemberNode[]>();
    for (const n of nodes) {
      const ep = n.member.type?.toLowerCase() === 'group' ? 'Groups' : 'Users';
      byEndpoint.set(ep, [...(byEndpoint.get(ep) ?? []), n]);
    }
    try {
      const client = await this.clients.get(owner.profile);
      for (const [endpoint, list] of byEndpoint) {
        for (let i = 0; i < list.length; i += 50) {
          const chunk = list.slice(i, i + 50);
          const f: Filter = chunk.length === 1
            ? { op: 'eq', attrPath: 'id', compValue: chunk[0]!.member.value }
            : { op: 'or', filters: chunk.map((n) => ({ op: 'eq' as const, attrPath: 'id', compValue: n.member.value })) };
          const page = await client.listPage(endpoint, {
            filter: stringify(f), attributes: endpoint === 'Users' ? ['userName', 'displayName'] : ['displayName'], count: chunk.length,
          }, { title: `Resolve ${chunk.length} member name${chunk.length === 1 ? '' : 's'}` });
          for (const r of page.resources) names.set(r.id, personLabel(r));
        }
      }
    } catch (e) {
      this.log.warn(`[${owner.profile}] member names not resolved: ${failureLine(e)}`);
    }
    let changed = false;
    for (const n of nodes) {
      const name = names.get(n.member.value);
      if (name && !n.name) { n.name = name; changed = true; }
    }
    if (changed) this.fire(owner);
  }
}
