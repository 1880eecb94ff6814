// "Start Local Sandbox": runs `node dist/sandbox.js --json` from the extension's own folder, reads
// its one JSON line (gateway URL, key, ...), keeps the key in SecretStorage and adds a session-only
// `sandbox` profile. The process is ours: it is stopped by its own pid when the extension deactivates.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { SandboxInfo } from './sandbox-profile';

export class Sandbox implements vscode.Disposable {
  private child: ChildProcess | undefined;
  info: SandboxInfo | undefined;

  constructor(private readonly extensionPath: string, private readonly log: vscode.LogOutputChannel) {}

  get running(): boolean {
    return !!this.child && this.child.exitCode === null;
  }

  start(signal: AbortSignal, timeoutMs = 30_000): Promise<SandboxInfo> {
    if (this.running && this.info) return Promise.resolve(this.info);
    const main = join(this.extensionPath, 'dist', 'sandbox.js'); // what `scimx sandbox` runs; the CLI is not shipped
    const child = spawn(process.execPath, [main, '--json'], {
      cwd: this.extensionPath,
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.log.info(`sandbox: started pid ${child.pid}`);
    return new Promise<SandboxInfo>((resolve, reject) => {
      let out = '';
      let err = '';
      const fail = (message: string): void => {
        cleanup();
        this.stop();
        reject(new Error(message));
      };
      const timer = setTimeout(() => fail(`the sandbox did not start within ${timeoutMs / 1000} s${err ? `: ${err.trim().split('\n').pop()}` : ''}`), timeoutMs);
      const onAbort = (): void => fail('cancelled');
      signal.addEventListener('abort', onAbort);
      const cleanup = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
        let nl: number;
        while ((nl = out.indexOf('\n')) >= 0) {
          const line = out.slice(0, nl).trim();
          out = out.slice(nl + 1);
          if (!line.startsWith('{')) continue;
          try {
            const info = JSON.parse(line) as Partial<SandboxInfo>;
            if (typeof info.gatewayUrl === 'string' && typeof info.key === 'string') {
              cleanup();
              this.info = info as SandboxInfo;
              this.log.info(`sandbox: gateway ${info.gatewayUrl}`);
              resolve(this.info);
              return;
            }
          } catch { /* not our line */ }
        }
      });
      child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { err = (err + chunk).slice(-4000); });
      child.on('error', (e) => fail(`cannot start the sandbox: ${e.message}`));
      child.on('exit', (code) => {
        this.log.info(`sandbox: exited (${code})`);
        if (this.child === child) this.child = undefined;
        fail(`the sandbox exited (${code})${err ? `: ${err.trim().split('\n').pop()}` : ''}`);
      });
    });
  }

  stop(): void {
    const c = this.child;
    this.child = undefined;
    this.info = undefined;
    if (c && c.exitCode === null && c.pid) c.kill();
  }

  dispose(): void {
    this.stop();
  }
}
