// `scimx edit TYPE ID` (the resource in $VISUAL / $EDITOR, then applied) and `scimx apply TYPE ID FILE` (a desired
// state → the minimal PatchOp; --dry-run prints it and sends nothing). The work is core's (src/core/edit).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { ScimxError } from '../../core/errors';
import type { ScimClient } from '../../core/scim/client';
import type { CommandContext } from './context';
import { json } from '../format';
import { resolveRefs } from '../names';

// loaded with the client (the CLI keeps --help free of the HTTP stack)
type EditModule = typeof import('../../core/edit/edit');

function usage(message: string, command: string): ScimxError {
  return new ScimxError('usage', message, { hint: `scimx ${command} --help` });
}

function parseJson(text: string, where: string, command: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw usage(`${where} is not JSON: ${(e as Error).message}`, command);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw usage(`${where} must hold one JSON object (the resource)`, command);
  return v as Record<string, unknown>;
}

/** A file name fit for a temporary file: the resource's name, else its id. */
function fileName(r: Record<string, unknown>, id: string): string {
  const name = [r.userName, r.displayName].find((x): x is string => typeof x === 'string' && !!x) ?? id;
  return `${name.replace(/[^A-Za-z0-9._@-]+/g, '_').slice(0, 60) || 'resource'}.json`;
}

export async function editOrApply(client: ScimClient, ctx: CommandContext, command: 'edit' | 'apply', resolveType: (type: string) => Promise<{ endpoint: string; kind: 'user' | 'group' | 'other' }>): Promise<number> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const core = require('../../core/edit/edit') as EditModule;
  const [type, ref, file] = ctx.args as [string, string, string | undefined];
  if (!ref.trim()) throw usage('ID is empty', command);
  const cwd = ctx.io.cwd ?? process.cwd();
  const dryRun = ctx.values['dry-run'] === true;
  // the desired state first: a file that cannot be read is said before any request
  let desired: Record<string, unknown> | undefined;
  if (command === 'apply') {
    const path = resolvePath(cwd, file as string);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw usage(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, command);
    }
    desired = parseJson(text, file as string, command);
  }
  const rt = await resolveType(type);
  const [found] = await resolveRefs(client, rt.endpoint, rt.kind, [ref], { signal: ctx.signal, what: rt.kind === 'group' ? 'groups' : rt.kind === 'user' ? 'users' : rt.endpoint, attributes: ['id'] });
  const id = found?.id ?? ref;
  if (found && found.by !== 'id' && found.by !== 'as-given') ctx.err(`scimx: "${ref}" is ${rt.endpoint}/${id} (by ${found.by})\n`);
  const base = await core.readForEdit(client, rt.endpoint, id, { signal: ctx.signal, title: `read ${rt.endpoint}/${id} for editing` });

  if (command === 'edit') {
    const dir = mkdtempSync(join(tmpdir(), 'scimx-edit-'));
    const path = join(dir, fileName(base.resource, id));
    const original = `${JSON.stringify(base.resource, null, 2)}\n`;
    writeFileSync(path, original, { mode: 0o600 });
    const editor = ctx.io.env.VISUAL || ctx.io.env.EDITOR || 'vi';
    ctx.progress(undefined);
    const ran = spawnSync(`${editor} "${path}"`, { shell: true, stdio: 'inherit', env: ctx.io.env });
    if (ran.error || ran.status !== 0) {
      throw new ScimxError('usage', `the editor (${editor}) ${ran.error ? `did not start: ${ran.error.message}` : `exited ${ran.status ?? ran.signal}`}; nothing sent (the file is kept: ${path})`);
    }
    const text = readFileSync(path, 'utf8');
    if (text === original) {
      ctx.out(ctx.json ? json({ ok: true, outcome: 'unchanged' }) : `${rt.endpoint}/${id}: not changed in the editor; nothing sent\n`);
      return 0;
    }
    desired = parseJson(text, path, command);
  }

  const plan = await core.planEdit(client, base, desired as Record<string, unknown>, { signal: ctx.signal, title: 'discover' });
  const described = core.describePlan(plan);
  if (dryRun || plan.method === 'none') {
    if (ctx.json) ctx.out(json({ ok: true, dryRun, target: `${rt.endpoint}/${id}`, ...described }));
    else ctx.out(core.formatPlan(`${rt.endpoint}/${id}`, described, dryRun));
    return 0;
  }
  const outcome = await core.applyEdit(client, plan, {
    membership: { onProgress: (p) => ctx.progress(`${p.message} (${p.done}/${p.total})`) },
  }, { signal: ctx.signal, title: `${command} ${rt.endpoint}/${id}` });
  ctx.progress(undefined);
  if (outcome.kind === 'conflict') {
    const dir = mkdtempSync(join(tmpdir(), 'scimx-conflict-'));
    const files = { base: join(dir, 'base.json'), yours: join(dir, 'yours.json'), server: join(dir, 'server-now.json') };
    writeFileSync(files.base, `${JSON.stringify(outcome.base, null, 2)}\n`, { mode: 0o600 });
    writeFileSync(files.yours, `${JSON.stringify(outcome.yours, null, 2)}\n`, { mode: 0o600 });
    writeFileSync(files.server, `${JSON.stringify(outcome.server, null, 2)}\n`, { mode: 0o600 });
    if (ctx.json) {
      ctx.out(json({ ok: false, outcome: 'conflict', reason: outcome.reason, message: outcome.message, files }));
    } else {
      ctx.err(`scimx: conflict: ${outcome.message}\n  base (as read):  ${files.base}\n  yours:           ${files.yours}\n  server's now:    ${files.server}\n`
        + `  compare: diff -u ${files.server} ${files.yours}\n`);
    }
    return 1;
  }
  if (outcome.kind === 'unchanged') {
    ctx.out(ctx.json ? json({ ok: true, outcome: 'unchanged' }) : `${rt.endpoint}/${id}: nothing changed; nothing sent\n`);
    return 0;
  }
  if (ctx.json) {
    ctx.out(json({ ok: outcome.verified, outcome: 'applied', target: `${rt.endpoint}/${id}`, ...described, ...outcome }));
    return outcome.verified ? 0 : 1;
  }
  const lines = [`${command} ${rt.endpoint}/${id}: ${core.editSummary(outcome)}`];
  if (outcome.sent) lines.push(indent(JSON.stringify(outcome.sent, null, 2)));
  if (outcome.membership) {
    const m = outcome.membership;
    lines.push(`  members: added ${m.added.length}, removed ${m.removed.length}${m.alreadyPresent.length ? `, already present ${m.alreadyPresent.length}` : ''}${m.alreadyAbsent.length ? `, already absent ${m.alreadyAbsent.length}` : ''}, ${m.verified ? 'verified' : 'NOT verified'}`);
    if (m.journalId) lines.push(`  journal: ${m.journalId} (scimx members undo --from ${m.journalId})`);
  }
  for (const w of outcome.warnings) lines.push(`  note: ${w}`);
  ctx.out(`${lines.join('\n')}\n`);
  return outcome.verified ? 0 : 1;
}

function indent(text: string): string {
  return text.split('\n').map((l) => `  ${l}`).join('\n');
}
