// A real HTTP proxy for tests: Debian's tinyproxy, started in the foreground on 127.0.0.1 with a config
// written to a temp dir, stopped by its own process id. Its log (stdout in -d mode) says which requests and
// CONNECT tunnels it served; it adds `Via: 1.1 <ViaProxyName> (tinyproxy/x)` to plain HTTP requests.
// Without tinyproxy a test skips with one clear line, except under CI=true, where it is a failure.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const VIA_NAME = 'scimx-test-proxy';

export interface TestProxy {
  url: string;
  port: number;
  pid: number;
  /** Everything tinyproxy logged so far. */
  log(): string;
  /** Waits until the log matches (tinyproxy logs a request as it handles it). */
  waitForLog(re: RegExp, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

export function tinyproxyPath(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v tinyproxy'], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p : undefined;
}

/** undefined when tinyproxy is usable; else the reason to skip (and throws under CI=true). */
export function tinyproxySkipReason(): string | undefined {
  if (tinyproxyPath()) return undefined;
  const why = 'tinyproxy is not installed (apt-get install -y tinyproxy): proxy tests skipped';
  if (process.env.CI === 'true') throw new Error(`${why}; under CI=true it must be installed`);
  return why;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
}

/** `basicAuth`: the proxy demands these credentials (Proxy-Authorization: Basic …), else answers 407. */
export async function startTinyproxy(opts: { basicAuth?: { user: string; password: string } } = {}): Promise<TestProxy> {
  const bin = tinyproxyPath();
  if (!bin) throw new Error('tinyproxy not found');
  const dir = mkdtempSync(join(tmpdir(), 'scimx-proxy-'));
  for (let tries = 0; ; tries++) {
    const port = await freePort();
    const conf = join(dir, 'tinyproxy.conf');
    writeFileSync(conf, [
      'Listen 127.0.0.1',
      `Port ${port}`,
      'Timeout 30',
      'LogLevel Connect',
      'MaxClients 20',
      'Allow 127.0.0.1',
      `ViaProxyName "${VIA_NAME}"`,
      ...(opts.basicAuth ? [`BasicAuth ${opts.basicAuth.user} ${opts.basicAuth.password}`] : []),
      '',
    ].join('\n'));
    let out = '';
    const child: ChildProcess = spawn(bin, ['-d', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => { out += d.toString('utf8'); });
    child.stderr?.on('data', (d: Buffer) => { out += d.toString('utf8'); });
    let exited = false;
    child.once('exit', () => { exited = true; });
    const deadline = Date.now() + 10_000;
    while (!exited && Date.now() < deadline && !(await canConnect(port))) await new Promise((r) => setTimeout(r, 50));
    if (exited || !(await canConnect(port))) {
      if (child.pid && !exited) process.kill(child.pid, 'SIGKILL');
      if (tries < 2) continue; // the port was taken between the probe and tinyproxy's bind
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`tinyproxy did not start on 127.0.0.1:${port}: ${out.trim().split('\n').slice(-3).join(' | ')}`);
    }
    const pid = child.pid as number;
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      pid,
      log: () => out,
      async waitForLog(re, timeoutMs = 5000) {
        const end = Date.now() + timeoutMs;
        while (!re.test(out)) {
          if (Date.now() > end) throw new Error(`tinyproxy log never matched ${re}:\n${out}`);
          await new Promise((r) => setTimeout(r, 25));
        }
        return out;
      },
      stop: () => new Promise<void>((resolve) => {
        const done = (): void => { rmSync(dir, { recursive: true, force: true }); resolve(); };
        if (exited) { done(); return; }
        child.once('exit', done);
        process.kill(pid, 'SIGTERM');
      }),
    };
  }
}
