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
/** An optional native addon the build left out, and why (e.g. { addon: 'kerberos', reason: 'pkg-config is not on PATH' }). */
export interface LeftOutAddon { addon: string; reason: string }
export interface CachedCodeServer extends CodeServerPaths {
  nodeVersion: string;
  leftOut: LeftOutAddon[];
  builtWith: { addons?: string[] };
}
export interface EnsuredCodeServer extends CachedCodeServer {
  nodeMs: number;
  codeServerMs: number;
  totalMs: number;
  cached: boolean;
}
export function paths(): CodeServerPaths;
export function cleanEnv(base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
export function node24Env(extra?: Record<string, string | undefined>, base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
/** Tools node-gyp needs that are not on PATH (make, g++, python3). */
export function missingBuildDeps(env?: NodeJS.ProcessEnv): string[];
/** '' when VS Code's kerberos addon can build with `env`, else why not. */
export function kerberosBuildable(env?: NodeJS.ProcessEnv): string;
/** `base` with pkg-config off PATH and the compiler's include-path variables dropped: builds leave kerberos out. */
export function withoutKerberosHeaders(base?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
export const OPTIONAL_ADDONS: Record<string, { buildable(env?: NodeJS.ProcessEnv): string; lacks: string; howToGet?: string }>;
/** One line per left-out addon: what it leaves out, why, how to get it. */
export function leftOutLines(leftOut: LeftOutAddon[] | undefined, dir?: string): string[];
/** The complete cached build, or undefined (synchronous, touches nothing). */
export function cachedCodeServer(): CachedCodeServer | undefined;
/** Builds Node 24 + code-server into the cache unless there (progress on stderr); `env`: what the build sees. */
/** Runs fn holding the cache's build lock (one build per cache at a time; a dead holder's lock is taken over). */
export function withBuildLock<T>(fn: () => Promise<T>): Promise<T>;
export function ensureCodeServer(opts?: { quiet?: boolean; env?: NodeJS.ProcessEnv }): Promise<EnsuredCodeServer>;
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
