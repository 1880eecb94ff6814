// "Add Members…" QuickPick: searches users on the server as the user types (debounced 250 ms, the
// previous search cancelled), multi-select; picks survive new searches.
import * as vscode from 'vscode';
import type { ScimClient } from '../core/scim/client';
import type { ScimResource } from '../core/scim/types';
import { failureLine, isCancellation } from './messages';
import { resourceLabel, shortId } from './tree-model';

interface UserItem extends vscode.QuickPickItem {
  user?: ScimResource;
}

export const SEARCH_DEBOUNCE_MS = 250;

export function pickUsers(client: ScimClient, title: string): Promise<ScimResource[] | undefined> {
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick<UserItem>();
    qp.title = title;
    qp.placeholder = 'Type to search users (userName starts with / displayName contains); Space to pick several, Enter to add';
    qp.canSelectMany = true;
    qp.matchOnDescription = true;
    qp.ignoreFocusOut = true;
    const chosen = new Map<string, UserItem>();
    let seq = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let abort: AbortController | undefined;
    let done = false;

    const itemOf = (u: ScimResource): UserItem => {
      const label = resourceLabel(u);
      const display = typeof u['displayName'] === 'string' && u['displayName'] !== label ? u['displayName'] : undefined;
      return { label, description: [display, shortId(u.id)].filter(Boolean).join(' · '), alwaysShow: true, user: u };
    };

    const show = (results: UserItem[], extra: UserItem[] = []): void => {
      const pinned = [...chosen.values()];
      const rest = results.filter((i) => i.user && !chosen.has(i.user.id));
      qp.items = [...pinned, ...rest, ...extra];
      qp.selectedItems = pinned;
    };

    const search = (text: string): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void run(text), SEARCH_DEBOUNCE_MS);
    };

    const run = async (text: string): Promise<void> => {
      const my = ++seq;
      abort?.abort();
      abort = new AbortController();
      qp.busy = true;
      try {
        const users = await client.searchUsers(text.trim(), { count: 25 }, { title: `Search users "${text.trim()}"`, signal: abort.signal });
        if (my !== seq || done) return;
        show(users.map(itemOf), users.length ? [] : [{ label: text.trim() ? `No user matches "${text.trim()}"` : 'No users', alwaysShow: true }]);
      } catch (e) {
        if (my !== seq || done || isCancellation(e)) return;
        show([], [{ label: `$(error) ${failureLine(e)}`, alwaysShow: true }]);
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
      finish(users.length ? users : undefined);
    });
    qp.onDidHide(() => finish(undefined));
    qp.show();
    void run('');
  });
}
