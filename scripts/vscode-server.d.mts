// Types for scripts/vscode-server.mjs (imported by the e2e tests).
import type { ChildProcess } from 'node:child_process';

export const repoRoot: string;
export const cacheDir: string;
export const NODE_MAJOR: string;
export const CODE_SERVER_VERSION: string;
export const DEFAULT_SETTINGS: Record<string, unknown>;

export interface CodeServerPaths {
  nodeDir: string;
  nodeHome: string;
  nodeBin: string;
  codeServerDir: string;
  codeServerPkg: string;
  codeServerEntry: string;
  serverMain: string;
  nodeStamp: string;
  codeServerStamp: string;
}
export interface EnsuredCodeServer extends CodeServerPaths {
  nodeVersion: string;
  nodeMs: number;
  codeServerMs: number;
  totalMs: number;
  cached: boolean;
}
export function paths(): CodeServerPaths;
export function cleanEnv(): NodeJS.ProcessEnv;
export function node24Env(extra?: Record<string, string | undefined>): NodeJS.ProcessEnv;
export function missingBuildDeps(): string[];
export function ensureCodeServer(opts?: { quiet?: boolean }): EnsuredCodeServer;
export function freePort(): Promise<number>;
export function installExtension(opts: { vsixPath: string; extensionsDir: string; userDataDir?: string }): string;

export interface StartOptions {
  vsixPath?: string;
  extensionDevelopmentPath?: string;
  folder: string;
  userDataDir?: string;
  extensionsDir?: string;
  port?: number;
  settings?: Record<string, unknown>;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  stdio?: 'pipe' | 'inherit' | 'ignore';
  /** Leave workspace trust on (default off): the folder opens in Restricted Mode until trusted. */
  workspaceTrust?: boolean;
}
export interface RunningCodeServer {
  url: string;
  port: number;
  pid: number;
  folder: string;
  userDataDir: string;
  extensionsDir: string;
  logs(): string;
  stop(): Promise<void>;
  child: ChildProcess;
}
export function startCodeServer(opts: StartOptions): Promise<RunningCodeServer>;
