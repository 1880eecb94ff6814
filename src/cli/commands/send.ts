// `scimx send FILE [--name N] [--keep-going]`: the requests of a request file (`*.scim`), sent through the profile.
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { ScimxError } from '../../core/errors';
import { parseRequestFile } from '../../core/request-files/parse';
import { formatSendResult } from '../../core/request-files/format';
import { sendRequestFile } from '../../core/request-files/send';
import type { ScimClient } from '../../core/scim/client';
import type { CommandContext } from './context';
import { json } from '../format';

export async function send(client: ScimClient, ctx: CommandContext): Promise<number> {
  const [fileArg] = ctx.args as [string];
  const path = resolvePath(ctx.io.cwd ?? process.cwd(), fileArg);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ScimxError('usage', `cannot read ${fileArg}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const file = parseRequestFile(text);
  const name = typeof ctx.values.name === 'string' ? ctx.values.name : undefined;
  const results = await sendRequestFile(client, file, {
    name, file: fileArg, keepGoing: ctx.values['keep-going'] === true, signal: ctx.signal,
    onResult: (r) => {
      if (!ctx.json) ctx.out(`${formatSendResult(r)}\n`);
    },
  });
  const ok = results.every((r) => r.ok);
  const selected = name === undefined ? file.blocks.length : results.length;
  if (ctx.json) {
    ctx.out(json({ ok, results }));
  } else if (results.length < selected) {
    ctx.err(`scimx: stopped after request ${results.length} of ${selected} (it failed); --keep-going sends the rest anyway\n`);
  }
  const failed = results.filter((r) => !r.ok);
  for (const r of failed) {
    if (ctx.json) break;
    const lines = [`scimx: ${r.name ?? `#${r.index + 1}`}: ${r.error?.message ?? (r.status !== undefined ? `answered ${r.status}` : 'failed')}`];
    if (r.diagnosis?.summary && !lines[0]!.includes(r.diagnosis.summary)) lines.push(`  ${r.diagnosis.summary}`);
    const fix = r.diagnosis?.fix ?? r.error?.hint;
    if (fix) lines.push(`  fix: ${fix}`);
    if (r.membership?.lost.length) {
      lines.push(`  lost (${r.membership.lost.length}): ${r.membership.lost.join(', ')}`);
      if (r.membership.journalId) lines.push(`  restore: scimx members restore --from ${r.membership.journalId}`);
    }
    ctx.err(`${lines.join('\n')}\n`);
  }
  return ok ? 0 : 1;
}
