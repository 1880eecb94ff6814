// The `headers:` section and `secretHeaders:`: extra headers sent on every request, and which are secrets.
import { isScalar, isSeq } from 'yaml';
import type { GatewayConfig } from '../../profile';
import type { Level } from '../level';
import { clip } from '../messages';
import { describe, isNullScalar, join, type Ctx } from '../reader';
import { BAD_HEADER_VALUE, HEADER_NAME, RESERVED_HEADERS } from '../rules';

/** The profile's extra headers, in the order given, and the lower-case names of those whose values are
 * secrets (listed in `secretHeaders:`, or given by a substitution). */
export async function readHeaders(ctx: Ctx, p: Level, path: string, gateway: GatewayConfig): Promise<{ headers: Record<string, string>; secretHeaders: string[] }> {
  const headers: Record<string, string> = {};
  const secretHeaders: string[] = [];
  const h = p.sub('headers', []);
  if (h) {
    for (const [name, e] of h.byKey) {
      const hp = join(h.path, name);
      const lower = name.toLowerCase();
      if (!HEADER_NAME.test(name)) { ctx.problem(e.keyNode, hp, `"${clip(name)}" is not a valid header name`); continue; }
      if (RESERVED_HEADERS.includes(lower)) { ctx.problem(e.keyNode, hp, `${name} is set by the HTTP client and cannot be set in a profile`); continue; }
      if (lower === gateway.header.toLowerCase()) {
        ctx.problem(e.keyNode, hp, `${name} is the gateway key header: set the key as gateway.subscriptionKey instead`);
        continue;
      }
      if (Object.keys(headers).some((k) => k.toLowerCase() === lower)) { ctx.problem(e.keyNode, hp, `header ${name} is given twice`); continue; }
      const v = await h.str(name, { required: 'the header value', secret: true });
      if (!v) continue;
      if (BAD_HEADER_VALUE.test(v.value)) { ctx.problem(e.value, hp, 'a header value must be on one line (no CR, LF or NUL)'); continue; }
      headers[name] = v.value;
      if (v.substituted && !secretHeaders.includes(lower)) secretHeaders.push(lower);
    }
  }
  const shNode = p.at('secretHeaders');
  if (p.has('secretHeaders') && shNode !== null && !isNullScalar(shNode)) {
    const sp = join(path, 'secretHeaders');
    if (!isSeq(shNode)) ctx.problem(shNode, sp, `expected a list of header names, found ${describe(shNode)}`);
    else {
      shNode.items.forEach((item, i) => {
        const n = ctx.resolve(item);
        if (!isScalar(n) || typeof n.value !== 'string') { ctx.problem(n, `${sp}[${i}]`, `expected a header name, found ${describe(n)}`); return; }
        const lower = n.value.toLowerCase();
        if (!Object.keys(headers).some((k) => k.toLowerCase() === lower) && !(h?.byKey.has(n.value))) {
          const names = Object.keys(headers);
          ctx.problem(n, `${sp}[${i}]`, `"${clip(n.value)}" is not one of this profile's headers${names.length ? ` (${names.join(', ')})` : ''}`);
          return;
        }
        if (!secretHeaders.includes(lower)) secretHeaders.push(lower);
      });
    }
  }
  return { headers, secretHeaders };
}
