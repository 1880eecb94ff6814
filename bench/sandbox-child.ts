// The sandbox in its own process, so a benchmark's client and server never share one event loop.
// Started by bench/lib.ts with the sandbox options as JSON in argv[2]; prints one JSON line when ready, then
// answers JSON-line commands on stdin ({id, cmd, args}) with {id, result} or {id, error}. Stops on SIGTERM
// or when stdin closes.
import { createInterface } from 'node:readline';
import { startSandbox, type SandboxOptions } from '../src/sandbox/index';

async function main(): Promise<void> {
  const opts = JSON.parse(process.argv[2] ?? '{}') as SandboxOptions;
  const t0 = performance.now();
  const sb = await startSandbox(opts);
  const seedMs = performance.now() - t0;

  const commands: Record<string, (...args: never[]) => unknown> = {
    setFaults: (faults: SandboxOptions['faults'], o: Parameters<typeof sb.setFaults>[1]) => sb.setFaults(faults ?? [], o),
    clearReceived: () => sb.clearReceived(),
    receivedCount: () => sb.received.length,
    /** statuses of what the gateway received, counted: {"200": n, "429": m} */
    receivedStatuses: () => {
      const out: Record<string, number> = {};
      for (const r of sb.received) out[r.status] = (out[r.status] ?? 0) + 1;
      return out;
    },
    groupIdByName: (name: string) => sb.groupIdByName(name),
    userIdByName: (name: string) => sb.userIdByName(name),
    /** ids of users user<from>..user<to> (names padded to the seed's width) */
    userIds: (from: number, to: number, width: number) => {
      const out: string[] = [];
      for (let i = from; i <= to; i++) {
        const id = sb.userIdByName(`user${String(i).padStart(width, '0')}`);
        if (!id) throw new Error(`no user ${i}`);
        out.push(id);
      }
      return out;
    },
    memberCount: (gid: string) => sb.members(gid).length,
    members: (gid: string) => sb.members(gid),
    hasMember: (gid: string, uid: string) => sb.members(gid).includes(uid),
    addMembers: (gid: string, uids: string[]) => { for (const u of uids) sb.addMemberDirect(gid, u); },
    removeMembers: (gid: string, uids: string[]) => { for (const u of uids) sb.removeMemberDirect(gid, u); },
    memory: () => process.memoryUsage(),
  };

  process.stdout.write(`${JSON.stringify({
    ready: true, pid: process.pid, seedMs: Math.round(seedMs), gatewayUrl: sb.gatewayUrl, backendUrl: sb.backendUrl,
    key: sb.key, keyHeader: sb.keyHeader, keyQuery: sb.keyQuery, auth: sb.auth,
  })}\n`);

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await sb.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  const rl = createInterface({ input: process.stdin });
  rl.on('close', () => void stop());
  rl.on('line', (line) => {
    let msg: { id: number; cmd: string; args?: unknown[] };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return;
    }
    try {
      const fn = commands[msg.cmd];
      if (!fn) throw new Error(`unknown command ${msg.cmd}`);
      const result = (fn as (...a: unknown[]) => unknown)(...(msg.args ?? []));
      process.stdout.write(`${JSON.stringify({ id: msg.id, result: result ?? null })}\n`);
    } catch (e) {
      process.stdout.write(`${JSON.stringify({ id: msg.id, error: (e as Error).message })}\n`);
    }
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`sandbox-child: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
