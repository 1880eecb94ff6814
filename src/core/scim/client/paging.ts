// Paging a listing: the page size to ask for.
import type { Capabilities } from '../types';

/** The page size to ask for: what the caller wants, never more than the service says it returns. */
export function pageCount(wanted: number, caps: Capabilities | undefined): number {
  let count = wanted;
  for (const cap of [caps?.maxResults, caps?.maxPageSize]) if (cap !== undefined && cap > 0) count = Math.min(count, cap);
  return count;
}
