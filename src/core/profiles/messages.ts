// Words for problems: values clipped. YAML syntax errors in plain words are ./syntax.ts.

/** A value as quoted in a message: at most 60 characters. */
export function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
