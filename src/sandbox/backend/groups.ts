// The Groups resource: SCIMMY's Group class reading and writing this sandbox's store, a PATCH of members
// touching only the members it names, with the quirk modes that change reads, PUTs and PATCHes.
import SCIMMY from 'scimmy';
import type { GroupRec, Json } from '../store';
import { asScimError, checkIfMatch, checkPatchAllowed, ctxOf, fold, requireBody, scimErr } from './context';
import { filtersOnMemberType, groupBranchPlan, keeps, select } from './filters';
import { applyMembers, memberPlan, memberValues } from './members';
import { page } from './paging';
import { checkEntraLimits, quirkOps } from './quirks';
import { groupOut, memberObj, meta, stripReadOnly } from './render';

export class SandboxGroup extends SCIMMY.Resources.Group {
  override async read(ctx?: unknown): Promise<SCIMMY.Messages.ListResponse | SCIMMY.Schemas.Group> {
    const c = ctxOf(ctx);
    const store = c.state.store;
    const noMembers = c.state.faults.has('entra') || c.state.faults.has('no-members-on-get');
    try {
      if (this.id) {
        const rec = store.groups.get(fold(c, this.id));
        if (!rec) throw scimErr(404, null, `Resource ${this.id} not found`);
        return groupOut(c, rec, this.attributes, noMembers) as never;
      }
      if (c.state.faults.has('untyped-members') && filtersOnMemberType(this.filter))
        throw scimErr(400, 'invalidFilter', 'Filtering on members.type is not supported');
      const raw = (id: string): Json => {
        const g = store.groups.get(id)!;
        return { ...g.data, id, displayName: g.displayName, members: [...g.members].map((m) => ({ value: m, type: store.groups.has(m) ? 'Group' : 'User' })) };
      };
      const ids = select(this.filter, () => store.groupIds(), (b) => groupBranchPlan(store, b, (id) => fold(c, id)), raw);
      return page(c, this, ids, (id) => groupOut(c, store.groups.get(id)!, this.attributes, noMembers));
    } catch (ex) {
      return asScimError(ex);
    }
  }

  override async write(instance: unknown, ctx?: unknown): Promise<SCIMMY.Schemas.Group> {
    const c = ctxOf(ctx);
    const store = c.state.store;
    requireBody(instance, this.id ? 'PUT' : 'POST');
    try {
      const existing = this.id ? store.groups.get(fold(c, this.id)) : undefined;
      if (this.id && !existing) throw scimErr(404, null, `Resource ${this.id} not found`);
      if (existing) checkIfMatch(c, existing);
      const data = stripReadOnly(new SCIMMY.Schemas.Group(instance, 'in'), ['id', 'meta', 'schemas']);
      const asked = memberValues(data['members']).map((id) => fold(c, id));
      const after = new Set(asked);
      // 'put-keeps-members': a PUT adds what it names and never removes anything
      const keepsAll = !!existing && c.state.faults.has('put-keeps-members');
      if (keepsAll) for (const id of existing.members) after.add(id);
      const displayName = String((data['displayName'] as string | undefined) ?? ''); // coerced by SCIMMY's Group schema
      delete data['members'];
      delete data['displayName'];
      const owner = store.groupByName.get(displayName.toLowerCase());
      if (owner !== undefined && owner !== existing?.id)
        throw scimErr(409, 'uniqueness', `displayName "${displayName}" is already in use`);
      let rec: GroupRec;
      if (existing) {
        rec = existing;
        applyMembers(c, rec, [...rec.members], after);
        store.renameGroup(rec, displayName);
        rec.data = data;
        store.touch(rec);
      } else {
        for (const id of after) if (!store.users.has(id) && !store.groups.has(id))
          throw scimErr(400, 'invalidValue', `member "${id}" does not exist`);
        rec = store.createGroup(displayName, after, data);
      }
      if (keepsAll) {
        // ...and answers with the list it was sent, not what it kept
        const out = groupOut(c, rec, undefined, true);
        out['members'] = asked.map((m) => memberObj(c, m));
        return out as never;
      }
      return groupOut(c, rec, this.attributes, c.state.faults.has('entra')) as never;
    } catch (ex) {
      return asScimError(ex);
    }
  }

  override async patch(message: unknown, ctx?: unknown): Promise<SCIMMY.Schemas.Group> {
    const c = ctxOf(ctx);
    const store = c.state.store;
    if (!this.id) throw scimErr(404, null, 'PATCH operation must target a specific resource');
    checkPatchAllowed(c);
    requireBody(message, 'PATCH');
    try {
      const rec = store.groups.get(fold(c, this.id));
      if (!rec) throw scimErr(404, null, `Resource ${this.id} not found`);
      checkIfMatch(c, rec);
      const f = c.state.faults;
      const quirks = quirkOps(c, message);
      const original = [...rec.members];
      // 'attributes-before-patch': the query's attributes/excludedAttributes shape the group the patch starts
      // from; without members, the patched list (the added ones) replaces them all
      const blind = f.has('attributes-before-patch') && !!this.attributes && this.attributes.length > 0 && !keeps(this.attributes, 'members');
      if (quirks.ops.length > 0 || !quirks.dropped) {
        const op = new SCIMMY.Messages.PatchOp({ ...message, Operations: quirks.ops } as never);
        const plan = blind ? undefined : memberPlan(op.Operations);
        checkEntraLimits(c, plan, op.Operations.length);
        // the members this patch can see: only those it names (fast path), or all of them
        const scope = blind ? original : plan ? [...plan.refs].filter((id) => rec.members.has(id)) : original;
        const source = new SCIMMY.Schemas.Group(
          { ...rec.data, id: rec.id, displayName: rec.displayName, members: (blind ? [] : scope).map((value) => ({ value })), meta: meta(c, rec) },
          'out',
        );
        const patched = await op.apply(source);
        if (patched) {
          const after = new Set(memberValues((patched as unknown as Json)['members']).map((id) => fold(c, id)));
          let changed = applyMembers(c, rec, scope, after);
          {
            const rest = stripReadOnly(patched, ['id', 'meta', 'schemas', 'members']);
            const displayName = String((rest['displayName'] as string | undefined) ?? rec.displayName); // coerced by SCIMMY's Group schema
            delete rest['displayName'];
            const owner = store.groupByName.get(displayName.toLowerCase());
            if (owner !== undefined && owner !== rec.id)
              throw scimErr(409, 'uniqueness', `displayName "${displayName}" is already in use`);
            if (displayName !== rec.displayName || JSON.stringify(rest) !== JSON.stringify(rec.data)) changed = true;
            store.renameGroup(rec, displayName);
            rec.data = rest;
          }
          if (changed) store.touch(rec);
        }
      }
      // 'remove-by-index': the removes, resolved to indexes in the list as it was, applied front to back
      if (quirks.byIndex.length) {
        const working = [...original];
        for (const i of quirks.byIndex.map((id) => original.indexOf(id)).filter((i) => i >= 0)) if (i < working.length) working.splice(i, 1);
        const left = new Set(working);
        let changed = false;
        for (const id of original) if (!left.has(id) && store.removeMember(rec, id)) changed = true;
        if (changed) store.touch(rec);
      }
      // 'drops-members': two members the patch did not name go too, silently
      if (f.has('drops-members') && quirks.touchesMembers) {
        let dropped = 0;
        for (const id of [...rec.members]) {
          if (dropped >= 2) break;
          if (quirks.named.has(id) || !original.includes(id)) continue;
          store.removeMember(rec, id);
          dropped++;
        }
        if (dropped) store.touch(rec);
      }
      if (f.has('patch-returns-group')) return groupOut(c, rec, undefined) as never;
      return groupOut(c, rec, this.attributes, c.state.faults.has('entra')) as never;
    } catch (ex) {
      return asScimError(ex);
    }
  }

  override async dispose(ctx?: unknown): Promise<void> {
    const c = ctxOf(ctx);
    if (!this.id) throw scimErr(404, null, 'DELETE operation must target a specific resource');
    const rec = c.state.store.groups.get(fold(c, this.id));
    if (!rec) throw scimErr(404, null, `Resource ${this.id} not found`);
    checkIfMatch(c, rec);
    c.state.store.deleteGroup(rec.id);
  }
}
