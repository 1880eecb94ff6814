// The Users resource: SCIMMY's User class reading and writing this sandbox's store.
import SCIMMY from 'scimmy';
import type { Json, UserRec } from '../store';
import { asScimError, checkIfMatch, checkPatchAllowed, ctxOf, fold, requireBody, scimErr, type Ctx } from './context';
import { select, userBranchPlan } from './filters';
import { page } from './paging';
import { stripReadOnly, userOut, userRaw } from './render';

export class SandboxUser extends SCIMMY.Resources.User {
  override async read(ctx?: unknown): Promise<SCIMMY.Messages.ListResponse | SCIMMY.Schemas.User> {
    const c = ctxOf(ctx);
    const store = c.state.store;
    try {
      if (this.id) {
        const rec = store.users.get(fold(c, this.id));
        if (!rec) throw scimErr(404, null, `Resource ${this.id} not found`);
        return userOut(c, rec, this.attributes);
      }
      const ids = select(this.filter, () => store.userIds(), (b) => userBranchPlan(store, b, (id) => fold(c, id)), (id) => userRaw(c, store.users.get(id)!));
      return page(c, this, ids, (id) => userOut(c, store.users.get(id)!, this.attributes));
    } catch (ex) {
      return asScimError(ex);
    }
  }

  override async write(instance: unknown, ctx?: unknown): Promise<SCIMMY.Schemas.User> {
    const c = ctxOf(ctx);
    const store = c.state.store;
    requireBody(instance, this.id ? 'PUT' : 'POST');
    try {
      const existing = this.id ? store.users.get(fold(c, this.id)) : undefined;
      if (this.id && !existing) throw scimErr(404, null, `Resource ${this.id} not found`);
      if (existing) checkIfMatch(c, existing);
      const data = stripReadOnly(new SCIMMY.Schemas.User(instance, 'in'), ['id', 'meta', 'schemas', 'groups']);
      return this.store(c, existing, data);
    } catch (ex) {
      return asScimError(ex);
    }
  }

  private store(c: Ctx, existing: UserRec | undefined, data: Json): SCIMMY.Schemas.User {
    const store = c.state.store;
    const userName = String((data['userName'] as string | undefined) ?? ''); // coerced by SCIMMY's User schema
    const displayName = typeof data['displayName'] === 'string' ? data['displayName'] : undefined;
    delete data['userName'];
    delete data['displayName'];
    const owner = store.userByName.get(userName.toLowerCase());
    if (owner !== undefined && owner !== existing?.id)
      throw scimErr(409, 'uniqueness', `userName "${userName}" is already in use`);
    let rec: UserRec;
    if (existing) {
      rec = existing;
      store.renameUser(rec, userName);
      rec.displayName = displayName;
      rec.data = data;
      store.touch(rec);
    } else {
      rec = store.createUser(userName, displayName, data);
    }
    return userOut(c, rec, this.attributes);
  }

  override async patch(message: unknown, ctx?: unknown): Promise<SCIMMY.Schemas.User> {
    const c = ctxOf(ctx);
    const store = c.state.store;
    if (!this.id) throw scimErr(404, null, 'PATCH operation must target a specific resource');
    checkPatchAllowed(c);
    requireBody(message, 'PATCH');
    try {
      const rec = store.users.get(fold(c, this.id));
      if (!rec) throw scimErr(404, null, `Resource ${this.id} not found`);
      checkIfMatch(c, rec);
      const op = new SCIMMY.Messages.PatchOp(message as never);
      const patched = await op.apply(new SCIMMY.Schemas.User(userRaw(c, rec), 'out'));
      if (!patched) return userOut(c, rec, this.attributes);
      const data = stripReadOnly(new SCIMMY.Schemas.User(stripReadOnly(patched, ['id', 'meta', 'schemas', 'groups']), 'in'), ['id', 'meta', 'schemas', 'groups']);
      return this.store(c, rec, data);
    } catch (ex) {
      return asScimError(ex);
    }
  }

  override async dispose(ctx?: unknown): Promise<void> {
    const c = ctxOf(ctx);
    if (!this.id) throw scimErr(404, null, 'DELETE operation must target a specific resource');
    const rec = c.state.store.users.get(fold(c, this.id));
    if (!rec) throw scimErr(404, null, `Resource ${this.id} not found`);
    checkIfMatch(c, rec);
    c.state.store.deleteUser(rec.id);
  }
}
