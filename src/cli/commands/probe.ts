// scimx probe: one request per method the gateway must judge and the service must refuse, as a table.
import type { Profile } from '../../core/profile';
import type { ScimClient } from '../../core/scim/client';
import type { ProbeFinding, ProbeRow } from '../../core/scim/types';
import { json, table } from '../format';
import type { CommandContext } from './context';

export async function probe(client: ScimClient, ctx: CommandContext): Promise<number> {
  const { rows, findings } = await client.probe({ signal: ctx.signal, title: 'probe' });
  const failed = rows.some((r) => r.verdict === 'fail');
  if (ctx.json) {
    ctx.out(json({ ok: !failed, profile: ctx.profile.name, baseUrl: ctx.profile.baseUrl, rows, findings }));
    return failed ? 1 : 0;
  }
  ctx.out(formatProbe(ctx.profile, rows, findings));
  return failed ? 1 : 0;
}

export function formatProbe(profile: Profile, rows: ProbeRow[], findings: ProbeFinding[] = []): string {
  const headerNames = Object.keys(profile.headers);
  const body = table(
    ['METHOD', 'KEY SENT', 'CUSTOM HEADERS', 'ANSWERED BY', 'STATUS', 'VERDICT', 'DETAIL'],
    rows.map((r) => [
      r.method,
      r.keySent,
      !headerNames.length ? '-' : r.customHeadersMissing.length ? `missing ${r.customHeadersMissing.join(', ')}` : `all ${r.customHeadersSent.length}`,
      r.answeredBy,
      r.status ?? '-',
      r.verdict.toUpperCase(),
      r.detail,
    ]),
    100,
  );
  const fails = rows.filter((r) => r.verdict === 'fail').map((r) => r.method);
  const warns = rows.filter((r) => r.verdict === 'warn').map((r) => r.method);
  const found = findings.map((f) => `finding: ${f.message}${f.fix ? `\n  fix: ${f.fix}` : ''}\n`).join('');
  const summary = fails.length ? `probe: FAILED for ${fails.join(', ')}`
    : warns.length || findings.length ? `probe: ok with warnings${warns.length ? ` for ${warns.join(', ')}` : ''}${findings.length ? `${warns.length ? ';' : ','} ${findings.length} finding${findings.length === 1 ? '' : 's'}` : ''}`
      : 'probe: ok, every method passed the gateway';
  return `${profile.name}: ${profile.baseUrl} (key ${profile.gateway.subscriptionKey ? `as ${profile.gateway.sendAs}` : 'none'})\n${body}${found}${summary}\n`;
}
