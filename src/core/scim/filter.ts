// SCIM filters (RFC 7644 §3.4.2.2): validation and construction through scim2-parse-filter,
// so quoting of ids with quotes, backslashes or Unicode is the library's job, not ours.
import { parse, stringify, type Filter } from 'scim2-parse-filter';
import { ScimxError } from '../errors';

/** Throws a one-line 'usage' error when the filter does not parse. */
export function validateFilter(filter: string): void {
  const text = filter.trim();
  if (!text) throw new ScimxError('usage', 'The filter is empty.');
  try {
    parse(text);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new ScimxError('usage', `Not a SCIM filter: ${why}`, { hint: 'e.g. userName sw "j" or displayName co "ops"' });
  }
}

export function eq(attrPath: string, value: string): Filter {
  return { op: 'eq', attrPath, compValue: value };
}

export function sw(attrPath: string, value: string): Filter {
  return { op: 'sw', attrPath, compValue: value };
}

export function co(attrPath: string, value: string): Filter {
  return { op: 'co', attrPath, compValue: value };
}

export function and(...filters: Filter[]): Filter {
  return filters.length === 1 ? filters[0]! : { op: 'and', filters };
}

export function or(...filters: Filter[]): Filter {
  return filters.length === 1 ? filters[0]! : { op: 'or', filters };
}

export function toFilterString(f: Filter): string {
  return stringify(f);
}
