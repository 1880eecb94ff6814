// The change as asked, checked before anything is sent: ids are strings, not empty, kept as given.
import { ScimxError } from '../../errors';

/** The ids of one side of a change, without duplicates, as given: SCIM ids are opaque, so nothing is trimmed
 * or otherwise changed. A value that is not a string, or an empty (or blank) id, is a usage error naming it. */
export function memberIds(ids: unknown, side: 'add' | 'remove'): string[] {
  if (ids === undefined || ids === null) return [];
  if (!Array.isArray(ids)) throw new ScimxError('usage', `The member ids to ${side} must be a list, got ${describeValue(ids)}.`);
  for (const [i, id] of ids.entries()) {
    if (typeof id !== 'string') throw new ScimxError('usage', `Member ids must be strings: id ${i + 1} to ${side} is ${describeValue(id)}.`);
    if (!id.trim()) throw new ScimxError('usage', `Member ids must not be empty: id ${i + 1} to ${side} is ${JSON.stringify(id)}.`);
  }
  return [...new Set(ids as string[])];
}

/** A value for a one-line message: its type, and the value itself when it is short and printable. */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
    case 'number':
    case 'bigint':
    case 'boolean':
      return `the ${typeof v} ${String(v)}`;
    case 'undefined':
      return 'undefined';
    case 'object':
      return 'an object';
    default:
      return `a ${typeof v}`;
  }
}
