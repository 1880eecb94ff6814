// Validation of the SCIM filter typed in "SCIM: Filter…" (no `vscode` import, unit-tested).
import { parse } from 'scim2-parse-filter';

/** undefined when the text is a SCIM filter (or empty, which clears the filter), else the message to show. */
export function filterProblem(text: string): string | undefined {
  const t = text.trim();
  if (!t) return undefined;
  try {
    parse(t);
    return undefined;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return `Not a SCIM filter (${why}). Example: userName sw "j" or displayName co "ops"`;
  }
}
