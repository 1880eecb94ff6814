// A third-party server and its gateway in a child process (the bench keeps client and server on separate event
// loops; SCIMMY's registry is process-wide). Spawned by startChildServer with the server name and seed as JSON
// in argv; prints one JSON line when ready, then answers JSON-line commands on stdin ({id, cmd, args}) with
// {id, result} or {id, error}. Stops on SIGTERM or when stdin closes.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { ServerAuth, SeedOptions, ServerName } from './types';

export interface ChildServer {
  pid: number;
  seedMs: number;
  implementation: string;
  limits: string[];
  gatewayUrl: string;
  key: string;
  keyHeader: string;
  keyQuery: string;
  auth: ServerAuth;
  groups: Record<string, string>;
  userIds: string[];
  call<T = unknown>(cmd: 'members' | 'setMembers' | 'memberCount' | 'receivedCount', ...args: unknown[]): Promise<T>;
  stop(): Promise<void>;
}

export async function startChildServer(name: ServerName, seed: SeedOptions): Promise<ChildServer> {
  const child = spawn(process.execPath, ['--max-old-space-size=4096', '--import', 'tsx', __filename, JSON.stringify({ name, seed })], { stdio: ['pipe', 'pipe', 'inherit'] });
  const rl = createInterface({ input: child.stdout });
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let ready: ((v: Record<string, unknown>) => void) | undefined;
  const readyP = new Promise<Record<string, unknown>>((resolve, reject) => {
    ready = resolve;
    child.once('exit', (code) => reject(new Error(`${name} child exited with ${code} before it was ready`)));
  });
  rl.on('line', (line) => {
    let msg: Record<string, unknown>;
    try { msg = JSON.parse(line) as Record<string, unknown>; } catch { return; }
    if (msg['ready']) return ready?.(msg);
    const w = waiting.get(msg['id'] as number);
    if (!w) return;
    waiting.delete(msg['id'] as number);
    if (msg['error']) w.reject(new Error(typeof msg['error'] === 'string' ? msg['error'] : JSON.stringify(msg['error'])));
    else w.resolve(msg['result']);
  });
  const info = await readyP;
  let seq = 0;
  return {
    ...(info as unknown as Omit<ChildServer, 'call' | 'stop'>),
    call: <T>(cmd: string, ...args: unknown[]) => new Promise<T>((resolve, reject) => {
      const id = ++seq;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.stdin.write(`${JSON.stringify({ id, cmd, args })}\n`);
    }),
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

async function childMain(): Promise<void> {
  const { startFronted } = await import('./index.js');
  const { name, seed } = JSON.parse(process.argv[2] ?? '{}') as { name: ServerName; seed: SeedOptions };
  const t0 = performance.now();
  const f = await startFronted(name, seed);
  const seedMs = Math.round(performance.now() - t0);
  const commands: Record<string, (...args: never[]) => unknown> = {
    members: (gid: string) => f.server.members(gid),
    memberCount: async (gid: string) => (await f.server.members(gid)).length,
    setMembers: (gid: string, ids: string[]) => f.server.setMembers(gid, ids),
    receivedCount: () => f.received.length,
  };
  process.stdout.write(`${JSON.stringify({
    ready: true, pid: process.pid, seedMs, implementation: f.server.implementation, limits: f.server.limits, gatewayUrl: f.gatewayUrl,
    key: f.key, keyHeader: f.keyHeader, keyQuery: f.keyQuery, auth: f.auth, groups: f.server.groups, userIds: f.server.userIds,
  })}\n`);
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await f.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  const rl = createInterface({ input: process.stdin });
  rl.on('close', () => void stop());
  rl.on('line', (line) => {
    let msg: { id: number; cmd: string; args?: unknown[] };
    try { msg = JSON.parse(line) as typeof msg; } catch { return; }
    const fn = commands[msg.cmd];
    Promise.resolve()
      .then(() => { if (!fn) throw new Error(`unknown command ${msg.cmd}`); return (fn as (...a: unknown[]) => unknown)(...(msg.args ?? [])); })
      .then((result) => process.stdout.write(`${JSON.stringify({ id: msg.id, result: result ?? null })}\n`))
      .catch((e: unknown) => process.stdout.write(`${JSON.stringify({ id: msg.id, error: (e as Error).message })}\n`));
  });
}

if (require.main === module) {
  childMain().catch((e: unknown) => {
    process.stderr.write(`third-party child: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
