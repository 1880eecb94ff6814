// "Add Members…" QuickPick: searches users on the server as the user types (debounced 250 ms, the
// previous search cancelled), multi-select; picks survive new searches. Results come 25 at a time with a
// "Load more results…" row while the server has more; users already in the group are marked (the tree's
// loaded members, and one filtered read for the others shown).
import * as vscode from 'vscode';
import type { ScimClient } from '../core/scim/client';
import type { ListPage, ScimResource } from '../core/scim/types';
import { failureLine, isCancellation } from './messages';
import { PICKER_PAGE, membersAmongFilter, moreLabel, pickerRow, searchFilter } from './picker-model';

interface UserItem extends vscode.QuickPickItem {
  user?: ScimResource;
  more?: boolean;
}

export const SEARCH_DEBOUNCE_MS = 250;

export interface PickUsersOptions {
  /** The group members are added to: its members are marked. */
  groupId?: string;
  /** Members already known (the tree's loaded ones): marked without asking. */
  knownMembers?: ReadonlySet<string>;
}

export function pickUsers(client: ScimClient, title: string, opts: PickUsersOptions = {}): Promise<ScimResource[] | undefined> {
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick<UserItem>();
    qp.title = title;
    qp.placeholder = 'Type to search users (userName starts with / displayName contains); Space to pick several, Enter to add';
    qp.canSelectMany = true;
    qp.matchOnDescription = true;
    qp.ignoreFocusOut = true;
    const chosen = new Map<string, UserItem>();
    const members = new Set(opts.knownMembers ?? []);
    const notMembers = new Set<string>();
    let seq = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let abort: AbortController | undefined;
    let done = false;
    // the current search: its text, what it found so far, where its next page starts
    let current = { text: '', results: [] as ScimResource[], next: undefined as ListPage['next'], total: undefined as number | undefined };

    const itemOf = (u: ScimResource): UserItem => {
      const row = pickerRow(u, members.has(u.id));
      return { label: row.label, description: row.description, alwaysShow: true, user: u, iconPath: row.member ? new vscode.ThemeIcon('pass-filled') : undefined };
    };

    const show = (extra: UserItem[] = []): void => {
      const pinned = [...chosen.values()].map((i) => (i.user ? { ...itemOf(i.user) } : i));
      for (const p of pinned) if (p.user) chosen.set(p.user.id, p);
      const rest = current.results.filter((u) => !chosen.has(u.id)).map(itemOf);
      const more: UserItem[] = current.next ? [{ label: `$(ellipsis) ${moreLabel(current.results.length, current.total)}`, alwaysShow: true, more: true }] : [];
      qp.items = [...pinned, ...rest, ...extra, ...more];
      qp.selectedItems = pinned;
    };

    const search = (text: string): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void run(text, false), SEARCH_DEBOUNCE_MS);
    };

    /** Marks which of these users are members: one filtered read for those not known yet. */
    const markMembers = async (users: ScimResource[], signal: AbortSignal): Promise<void> => {
      if (!opts.groupId) return;
      const unknown = users.map((u) => u.id).filter((id) => !members.has(id) && !notMembers.has(id));
      const filter = membersAmongFilter(opts.groupId, unknown);
      if (!filter) return;
      try {
        const endpoint = await client.usersEndpoint({ signal });
        const page = await client.listPage(endpoint, { filter, attributes: ['userName'], count: unknown.length }, { title: `Which of ${unknown.length} users are members`, signal });
        for (const u of page.resources) members.add(u.id);
        for (const id of unknown) if (!members.has(id)) notMembers.add(id);
      } catch (e) {
        if (isCancellation(e)) throw e;
        // a service that cannot filter by group: only the members the tree knows are marked
      }
    };

    const run = async (text: string, more: boolean): Promise<void> => {
      const my = ++seq;
      abort?.abort();
      abort = new AbortController();
      const signal = abort.signal;
      qp.busy = true;
      const t = text.trim();
      try {
        const endpoint = await client.usersEndpoint({ signal });
        const next = more ? current.next : undefined;
        const page = await client.listPage(endpoint, {
          filter: searchFilter(t), attributes: ['userName', 'displayName', 'emails'], count: PICKER_PAGE, ...(next ?? {}),
        }, { title: `Search users "${t}"${more ? ' (more)' : ''}`, signal });
        await markMembers(page.resources, signal);
        if (my !== seq || done) return;
        const seen = new Set(more ? current.results.map((u) => u.id) : []);
        const results = [...(more ? current.results : []), ...page.resources.filter((u) => u && typeof u.id === 'string' && !seen.has(u.id))];
        // a server that does not page forward (the same page again) offers no more
        const stuck = more && results.length === current.results.length;
        current = { text: t, results, next: stuck ? undefined : page.next, total: page.totalResults };
        show(results.length ? [] : [{ label: t ? `No user matches "${t}"` : 'No users', alwaysShow: true }]);
      } catch (e) {
        if (my !== seq || done || isCancellation(e)) return;
        show([{ label: `$(error) ${failureLine(e)}`, alwaysShow: true }]);
      } finally {
        if (my === seq) qp.busy = false;
      }
    };

    const finish = (value: ScimResource[] | undefined): void => {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      abort?.abort();
      resolve(value);
      qp.dispose();
    };

    qp.onDidChangeValue(search);
    qp.onDidChangeSelection((selected) => {
      if (selected.some((i) => i.more)) {
        // "Load more results…" is a row, not a pick: unticked, and the next page asked for
        qp.selectedItems = selected.filter((i) => !i.more);
        void run(current.text, true);
        return;
      }
      const ids = new Set(selected.map((i) => i.user?.id).filter((id): id is string => !!id));
      for (const item of qp.items) {
        if (!item.user) continue;
        if (ids.has(item.user.id)) chosen.set(item.user.id, item);
        else chosen.delete(item.user.id);
      }
    });
    qp.onDidAccept(() => {
      let users = [...chosen.values()].map((i) => i.user).filter((u): u is ScimResource => !!u);
      if (!users.length) users = qp.activeItems.map((i) => i.user).filter((u): u is ScimResource => !!u);
      if (!users.length && qp.activeItems.some((i) => i.more)) { void run(current.text, true); return; }
      finish(users.length ? users : undefined);
    });
    qp.onDidHide(() => finish(undefined));
    qp.show();
    void run('', false);
  });
}
