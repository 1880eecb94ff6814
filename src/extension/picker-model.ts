// "Add Members…" QuickPick logic (no `vscode` import, unit-tested): the search filter, the one read that tells
// which results are members already, and each row's text.
import { and, co, eq, or, sw, toFilterString } from '../core/scim/filter';
import type { ScimResource } from '../core/scim/types';
import { resourceLabel } from './tree-model';

/** Results asked for at a time; "Load more results…" asks for the next ones. */
export const PICKER_PAGE = 25;

/** userName starts with / displayName contains the text; everyone for no text. */
export function searchFilter(text: string): string | undefined {
  const t = text.trim();
  return t ? toFilterString(or(sw('userName', t), co('displayName', t))) : undefined;
}

/** Which of these users are members of the group: one filtered read (`groups.value eq G and (id eq …)`). */
export function membersAmongFilter(groupId: string, userIds: string[]): string | undefined {
  if (!userIds.length) return undefined;
  return toFilterString(and(eq('groups.value', groupId), or(...userIds.map((id) => eq('id', id)))));
}

export interface PickerRow {
  label: string;
  description?: string;
  /** A member already: marked (picking it again changes nothing). */
  member: boolean;
  user: ScimResource;
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v : undefined;
}

export function pickerRow(u: ScimResource, member: boolean): PickerRow {
  const label = resourceLabel(u);
  const display = text(u['displayName']) !== label ? text(u['displayName']) : undefined;
  const emails = Array.isArray(u['emails']) ? (u['emails'] as Array<{ value?: unknown; primary?: unknown }>) : [];
  const email = text((emails.find((e) => e?.primary === true) ?? emails[0])?.value);
  const parts = [member ? 'already a member' : undefined, display, email !== label ? email : undefined];
  return { label, description: parts.filter(Boolean).join(' · ') || undefined, member, user: u };
}

/** The "Load more results…" row's text: how many are shown, of how many. */
export function moreLabel(shown: number, total: number | undefined): string {
  return `Load more results… (${shown}${total !== undefined ? ` of ${total}` : ''} shown)`;
}
