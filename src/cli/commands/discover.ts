// scimx discover: what the service says it supports, its resource types and schemas, and the defaults assumed.
import { shortSecretWarnings, type Profile } from '../../core/profile';
import type { ScimClient } from '../../core/scim/client';
import type { Discovery } from '../../core/scim/types';
import { json, table } from '../format';
import type { CommandContext } from './context';

export async function discover(client: ScimClient, ctx: CommandContext): Promise<number> {
  // discover is where a profile is checked: secrets too short to be masked in free text are said here
  for (const w of shortSecretWarnings(ctx.profile)) ctx.err(`scimx: warning: ${w.key}: ${w.message}\n`);
  // the provider cache is used unless --refresh (which forgets what was learnt of the provider and asks again)
  const d = await client.discover({ signal: ctx.signal, title: 'discover', refresh: ctx.values.refresh === true });
  if (ctx.json) { ctx.out(json(d)); return 0; }
  ctx.out(formatDiscovery(ctx.profile, d));
  return 0;
}

/** How old a copy is, for a person: `12 s`, `5 min`, `3 h`. */
function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : s < 3600 ? `${Math.round(s / 60)} min` : `${Math.round(s / 3600)} h`;
}

function yes(b: boolean): string { return b ? 'yes' : 'no'; }

export function formatDiscovery(profile: Profile, d: Discovery): string {
  const c = d.capabilities;
  const paging = [c.index ? 'index' : '', c.cursor ? 'cursor' : ''].filter(Boolean).join(', ') || 'none';
  const lines = [
    `${profile.name}: ${profile.baseUrl}`,
    `capabilities: patch ${yes(c.patch)}, etag ${yes(c.etag)}, filter ${yes(c.filter)}${c.maxResults ? ` (max ${c.maxResults})` : ''}, `
      + `sort ${yes(c.sort)}, bulk ${yes(c.bulk)}, paging ${paging}`
      + `${c.defaultPageSize ? `, page size ${c.defaultPageSize}` : ''}${c.maxPageSize ? ` (max ${c.maxPageSize})` : ''}`,
    '',
    'resource types:',
  ];
  let text = `${lines.join('\n')}\n`;
  text += d.resourceTypes.length
    ? indent(table(['NAME', 'ENDPOINT', 'SCHEMA'], d.resourceTypes.map((r) => [r.name, r.endpoint, r.schema]), 80))
    : '  (none)\n';
  const ids = d.schemas.map((s) => (typeof s.id === 'string' ? s.id : '?'));
  text += `\nschemas: ${ids.length}${ids.length ? `\n${ids.map((i) => `  ${i}`).join('\n')}` : ''}\n`;
  const defaults = d.defaults ?? [];
  for (const x of defaults) text += `default: ${x.document} not offered (${x.reason}): assumed ${x.assumed}\n`;
  for (const w of d.warnings) if (!defaults.some((x) => w.startsWith(`${x.document} not used (`))) text += `warning: ${w}\n`;
  if (d.cache?.state === 'fresh') text += `from cache, ${age(d.cache.ageMs)} old (--refresh asks the service)\n`;
  if (d.cache?.state === 'revalidated') text += `from cache, ${age(d.cache.ageMs)} old, revalidated: ${d.cache.unchanged} of 3 unchanged (304)\n`;
  return text;
}

function indent(text: string): string {
  return text.split('\n').map((l) => (l ? `  ${l}` : l)).join('\n');
}
