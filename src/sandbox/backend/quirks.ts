// How the quirky providers read a PATCH (the modes of ../modes.ts that change a PATCH's operations), and
// Entra's limits on one PATCH. What each mode does to reads and writes beyond this is at its use, marked
// with the mode's name.
import { scimErr, type Ctx } from './context';
import type { MemberPlan } from './members';
import type { Json } from '../store';

export function checkEntraLimits(c: Ctx, plan: MemberPlan | undefined, opCount: number): void {
  if (!c.state.faults.has('entra') || !plan) return;
  if (plan.adds > 0 && plan.removes > 0)
    throw scimErr(400, 'invalidValue', 'Adding and removing members in the same request is not supported (at most 20 adds or 1 remove per request)');
  if (plan.adds > 20) throw scimErr(400, 'invalidValue', `Too many members to add in one request: ${plan.adds} (limit 20)`);
  if (plan.removes > 1) throw scimErr(400, 'invalidValue', `Too many members to remove in one request: ${plan.removes} (limit 1)`);
  void opCount;
}

export interface QuirkOps {
  /** the operations left for SCIMMY to apply */
  ops: Json[];
  /** 'remove-by-index': member ids removed by index instead, in the order asked */
  byIndex: string[];
  /** member ids the message names anywhere */
  named: Set<string>;
  touchesMembers: boolean;
  /** a quirk took operations out (an empty list is then no change, not a malformed request) */
  dropped: boolean;
}

const isMembersPath = (path: unknown): boolean => typeof path === 'string' && /^(urn:ietf:params:scim:schemas:core:2\.0:group:)?members(\b|$)/i.test(path.trim());

/** The PATCH operations as a quirky provider understands them (see FAULT_MODE_INFO). */
export function quirkOps(c: Ctx, message: Json): QuirkOps {
  const f = c.state.faults;
  const lower = f.has('case-insensitive-ids');
  const raw = Array.isArray(message['Operations']) ? (message['Operations'] as unknown[]) : [];
  const valuesOf = (v: unknown): string[] => (Array.isArray(v) ? v : [v]).flatMap((m) => (m && typeof m === 'object' && typeof (m as Json)['value'] === 'string' ? [(m as Json)['value'] as string] : []));
  const eqTarget = (path: string): string | undefined => /^members\[\s*value\s+eq\s+"([^"]*)"\s*\]$/i.exec(path.trim())?.[1];
  const named = new Set<string>();
  let touchesMembers = false;
  let ops: Json[] = raw.map((o) => {
    const op = { ...(o as Json) };
    if (lower && typeof op['path'] === 'string') op['path'] = op['path'].replace(/(value\s+eq\s+")([^"]*)(")/gi, (_m, a: string, v: string, b: string) => a + v.toLowerCase() + b);
    if (lower && Array.isArray(op['value'])) op['value'] = (op['value'] as unknown[]).map((m) => (m && typeof m === 'object' && typeof (m as Json)['value'] === 'string' ? { ...(m as Json), value: ((m as Json)['value'] as string).toLowerCase() } : m));
    const membersValue = op['path'] === undefined && op['value'] && typeof op['value'] === 'object' ? Object.entries(op['value'] as Json).find(([k]) => isMembersPath(k))?.[1] : undefined;
    if (isMembersPath(op['path']) || membersValue !== undefined) touchesMembers = true;
    for (const id of valuesOf(membersValue ?? op['value'])) named.add(id);
    const t = typeof op['path'] === 'string' ? eqTarget(op['path']) : undefined;
    if (t !== undefined) named.add(t);
    return op;
  });
  // `op` and `path` as the client sent them, stringified as they always were (a non-string names nothing known)
  const opName = (o: Json): string => String((o['op'] as string | undefined) ?? '').toLowerCase();
  const path = (o: Json): string => (typeof o['path'] === 'string' ? o['path'].trim().toLowerCase() : '');
  if (f.has('patch-replace-only') && ops.some((o) => opName(o) !== 'replace'))
    throw scimErr(400, 'invalidSyntax', 'Only "replace" operations are supported by this service provider');
  if (f.has('replace-empty-refused') && ops.some((o) => opName(o) === 'replace' && (
    (path(o) === 'members' && Array.isArray(o['value']) && (o['value'] as unknown[]).length === 0)
    || (!path(o) && o['value'] && typeof o['value'] === 'object' && Array.isArray((o['value'] as Json)['members']) && ((o['value'] as Json)['members'] as unknown[]).length === 0))))
    throw scimErr(400, 'invalidValue', 'Attribute "members" cannot be replaced with an empty list');
  ops = ops.flatMap((o): Json[] => {
    const name = opName(o);
    if (f.has('filtered-remove-ignored') && name === 'remove' && /^members\[/.test(path(o))) return [];
    if (f.has('remove-wipes-all') && name === 'remove' && path(o) === 'members' && o['value'] !== undefined) return [{ op: 'remove', path: 'members' }];
    if (f.has('replace-keeps-stale') && name === 'replace') {
      if (path(o) === 'members') return [{ op: 'add', path: 'members', value: o['value'] }];
      if (!path(o) && o['value'] && typeof o['value'] === 'object') {
        const { members, ...rest } = o['value'] as Json;
        if (members !== undefined) return [{ op: 'add', path: 'members', value: members }, ...(Object.keys(rest).length ? [{ op: 'replace', value: rest }] : [])];
      }
    }
    return [o];
  });
  const byIndex: string[] = [];
  if (f.has('remove-by-index')) {
    const targets = ops.flatMap((o) => (opName(o) !== 'remove' ? [] : eqTarget(String((o['path'] as string | undefined) ?? '')) !== undefined ? [eqTarget(String(o['path'] as string))!] : path(o) === 'members' ? valuesOf(o['value']) : []));
    if (targets.length >= 2) {
      byIndex.push(...targets);
      ops = ops.filter((o) => !(opName(o) === 'remove' && isMembersPath(o['path'])));
    }
  }
  return { ops, byIndex, named, touchesMembers, dropped: ops.length < raw.length };
}
