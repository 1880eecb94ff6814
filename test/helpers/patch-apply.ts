// An RFC 7644 §3.5.2 PATCH applier for tests: the `scim-patch` npm package (a maintained implementation of the
// RFC, independent of ours), plus the PATCH forms the membership path sends for a Group's members (an `add` of
// `members` with a value list, a `remove` of `members[value eq "ID"]`), so that a whole edit can be applied.
import { scimPatch, type ScimPatchOperation } from 'scim-patch';
import type { PatchOperation } from '../../src/core/edit/patch-diff';

export function membershipOperations(members: { add: string[]; remove: string[] } | undefined): PatchOperation[] {
  if (!members) return [];
  const out: PatchOperation[] = [];
  if (members.add.length) out.push({ op: 'add', path: 'members', value: members.add.map((value) => ({ value })) });
  for (const id of members.remove) out.push({ op: 'remove', path: `members[value eq ${JSON.stringify(id)}]` });
  return out;
}

/** `resource` with the operations applied, in order (the input is not changed). */
export function applyPatch<T extends object>(resource: T, operations: PatchOperation[]): T {
  if (!operations.length) return structuredClone(resource);
  return scimPatch(structuredClone(resource) as never, operations as ScimPatchOperation[], { mutateDocument: true, treatMissingAsAdd: true }) as T;
}
