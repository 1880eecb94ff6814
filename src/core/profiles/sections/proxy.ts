// `proxy:`: an http(s) proxy URL for this profile, without credentials in it.
import type { Level } from '../level';
import { join, type Ctx } from '../reader';
import { checkUrl } from '../rules';

export async function readProxy(ctx: Ctx, p: Level, path: string): Promise<string | undefined> {
  let proxy: string | undefined;
  const pr = await p.str('proxy');
  if (pr) {
    const u = checkUrl(pr.value, false);
    if (typeof u === 'object') proxy = u.url;
    else ctx.problem(p.at('proxy'), join(path, 'proxy'), u);
  }
  return proxy;
}
