// The `tls:` section: verification off (explicitly), a CA file, a client certificate and key (with passphrase).
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import type { TlsConfig } from '../../profile';
import type { Level } from '../level';
import { join, type Ctx } from '../reader';
import { TLS_KEYS } from '../rules';

/** The profile's TLS settings; relative file paths are taken from the profiles file's folder. */
export async function readTls(ctx: Ctx, p: Level): Promise<TlsConfig> {
  const tls: TlsConfig = { insecure: false };
  const t = p.sub('tls', TLS_KEYS);
  if (t) {
    const insecure = await t.bool('insecure', false);
    if (insecure !== undefined) tls.insecure = insecure;
    for (const k of ['caFile', 'certFile', 'keyFile'] as const) {
      const f = await t.str(k, { required: 'a file path', optional: true });
      if (!f) continue;
      const abs = isAbsolute(f.value) ? f.value : resolvePath(dirname(resolvePath(ctx.file)), f.value);
      if (!existsSync(abs)) { ctx.problem(t.at(k), join(t.path, k), `file not found: ${abs}`); continue; }
      tls[k] = abs;
    }
    if ((t.has('certFile') || t.has('keyFile')) && !(t.has('certFile') && t.has('keyFile'))) {
      ctx.problem(t.node, t.path, 'certFile and keyFile go together (a client certificate needs both)');
    }
    const pass = await t.str('passphrase', { secret: true });
    if (pass) tls.passphrase = pass.value;
  }
  return tls;
}
