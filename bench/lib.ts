// Shared helpers of the benchmarks: the sandbox in a child process, a raw-undici client that counts its bytes
// on the socket, medians, memory sampling and printing. Loopback only.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buildConnector, Client } from 'undici';
import type { Profile } from '../src/core/profile';
import type { FaultMode, SandboxOptions } from '../src/sandbox/index';
import { sandboxProfile } from '../test/helpers/profile';

const here = __dirname;

/** How many times each measurement is repeated (BENCH_REPEAT overrides). */
export const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? 3));

// ------------------------------------------------------------------------------------------ the sandbox child

export interface ChildSandbox {
  pid: number;
  seedMs: number;
  gatewayUrl: string;
  backendUrl: string;
  key: string;
  keyHeader: string;
  keyQuery: string;
  auth: { type: 'basic'; username: string; password: string } | { type: 'bearer'; token: string } | { type: 'none' };
  call<T = unknown>(cmd: string, ...args: unknown[]): Promise<T>;
  setFaults(faults: FaultMode[], opts?: { retryAfterSeconds?: number; faultRate?: number; slowMs?: number; latencyMs?: number }): Promise<void>;
  profile(overrides?: Parameters<typeof sandboxProfile>[1]): Profile;
  stop(): Promise<void>;
}

/** Starts the sandbox in its own node process (bench/sandbox-child.ts) and waits until it listens. */
export async function startChildSandbox(options: SandboxOptions): Promise<ChildSandbox> {
  const child: ChildProcess = spawn(process.execPath, ['--max-old-space-size=4096', '--import', 'tsx', join(here, 'sandbox-child.ts'), JSON.stringify(options)], {
    stdio: ['pipe', 'pipe', 'inherit'],
    cwd: join(here, '..'),
  });
  const rl = createInterface({ input: child.stdout! });
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let ready: ((v: Record<string, unknown>) => void) | undefined;
  const readyP = new Promise<Record<string, unknown>>((resolve, reject) => {
    ready = resolve;
    child.once('exit', (code) => reject(new Error(`sandbox child exited with ${code} before it was ready`)));
  });
  rl.on('line', (line) => {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    if (msg.ready) return ready?.(msg);
    const w = waiting.get(msg.id as number);
    if (!w) return;
    waiting.delete(msg.id as number);
    if (msg.error) w.reject(new Error(typeof msg.error === 'string' ? msg.error : JSON.stringify(msg.error)));
    else w.resolve(msg.result);
  });
  const info = await readyP;
  let seq = 0;
  const call = <T>(cmd: string, ...args: unknown[]): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = ++seq;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.stdin!.write(`${JSON.stringify({ id, cmd, args })}\n`);
    });
  const sb: ChildSandbox = {
    pid: info.pid as number,
    seedMs: info.seedMs as number,
    gatewayUrl: info.gatewayUrl as string,
    backendUrl: info.backendUrl as string,
    key: info.key as string,
    keyHeader: info.keyHeader as string,
    keyQuery: info.keyQuery as string,
    auth: info.auth as ChildSandbox['auth'],
    call,
    setFaults: (faults, opts) => call('setFaults', faults, opts ?? {}),
    profile: (overrides) => sandboxProfile(sb, { timeoutMs: 120_000, ...overrides }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      process.kill(child.pid!, 'SIGTERM'); // by its own pid
      await exited;
    },
  };
  return sb;
}

// ------------------------------------------------------------------------------------------ raw undici

/** Bytes written to and read from the sockets of one raw client. */
export interface ByteCount {
  sent: number;
  received: number;
}

/**
 * A minimal raw-undici client (one connection, keep-alive) whose bytes are counted on its sockets: the request
 * head + body written and the response head + body read, the same figures the pipeline reports.
 */
export class RawClient {
  private readonly sockets: Socket[] = [];
  private readonly client: Client;
  readonly headers: Record<string, string>;
  readonly base: string;

  constructor(readonly sb: ChildSandbox, readonly profile: Profile) {
    const connect = buildConnector({});
    this.client = new Client(new URL(sb.gatewayUrl).origin, {
      connect: (opts, cb) =>
        connect(opts, (err, socket) => {
          if (socket) this.sockets.push(socket);
          (cb as (e: Error | null, s: typeof socket | null) => void)(err, socket);
        }),
      keepAliveTimeout: 60_000,
    });
    // The headers the pipeline writes for this profile (key header, custom headers, auth, accept, user agent).
    const h: Record<string, string> = { [profile.gateway.header]: profile.gateway.subscriptionKey ?? '' };
    Object.assign(h, profile.headers);
    if (profile.auth.type === 'basic') h.authorization = `Basic ${Buffer.from(`${profile.auth.username}:${profile.auth.password}`).toString('base64')}`;
    h.accept = 'application/scim+json, application/json';
    h['user-agent'] = 'scim-explorer/0.1.0 (+core)';
    this.headers = h;
    this.base = new URL(sb.gatewayUrl).pathname;
  }

  bytes(): ByteCount {
    let sent = 0;
    let received = 0;
    for (const s of this.sockets) {
      sent += s.bytesWritten;
      received += s.bytesRead;
    }
    return { sent, received };
  }

  /** One request; `path` relative to the SCIM base (`Users?count=1`). Returns the body text. */
  async send(method: 'GET' | 'PUT' | 'PATCH', path: string, body?: string): Promise<{ status: number; text: string }> {
    const headers = body === undefined ? this.headers : { ...this.headers, 'content-type': 'application/scim+json' };
    const res = await this.client.request({ method, path: `${this.base}/${path}`, headers, body });
    const text = await res.body.text();
    return { status: res.statusCode, text };
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

// ------------------------------------------------------------------------------------------ figures

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) {
    g();
    g();
  }
}

/** Samples rss and heapUsed every few ms while `fn` runs; peaks in bytes. */
export async function withMemory<T>(fn: () => Promise<T>): Promise<{ value: T; peakRss: number; peakHeap: number }> {
  let peakRss = 0;
  let peakHeap = 0;
  const sample = (): void => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  sample();
  const t = setInterval(sample, 5);
  try {
    const value = await fn();
    sample();
    return { value, peakRss, peakHeap };
  } finally {
    clearInterval(t);
  }
}

export const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MB`;
export const kb = (n: number): string => (n >= 1024 * 1024 ? mb(n) : n >= 1024 ? `${(n / 1024).toFixed(1)} KB` : `${n} B`);
export const ms = (n: number): string => (n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${n.toFixed(1)} ms`);
export const ratio = (n: number): string => (n >= 100 ? `${n.toFixed(0)}×` : n >= 10 ? `${n.toFixed(1)}×` : `${n.toFixed(2)}×`);

export function table(rows: Array<Record<string, string | number>>): void {
  if (!rows.length) return;
  const cols = Object.keys(rows[0]!);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(width[i]!)).join('  ');
  console.log(line(cols));
  console.log(line(width.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(cols.map((c) => String(r[c] ?? ''))));
}

const verdicts: string[] = [];

/** Prints and remembers a goal's verdict. */
export function goal(name: string, pass: boolean, detail: string): void {
  const line = `${pass ? 'PASS' : 'MISS'}  ${name}: ${detail}`;
  verdicts.push(line);
  console.log(line);
}

export function printGoals(): void {
  if (!verdicts.length) return;
  console.log('\nGoals');
  for (const v of verdicts) console.log(`  ${v}`);
}

export function header(title: string, repeat = REPEAT): void {
  console.log(`\n=== ${title} ===`);
  console.log(`node ${process.version}, repeat ${repeat}${repeat > 1 ? ' (median shown)' : ''}, loopback, sandbox in its own process\n`);
}
