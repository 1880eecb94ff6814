// Local SCIM 2.0 service provider (scimmy + scimmy-routers) behind an APIM-like gateway, both on 127.0.0.1.
// Used in-process by the integration tests and by people through `npm start` / `scimx sandbox`.
import { randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import YAML from 'yaml';
import type { Clock } from '../core/clock';
import { createBackendApp } from './backend/app';
import { createGateway } from './gateway';
import { Store } from './store';
import { DEFAULT_LATENCY_MS, FAULT_MODES, type FaultMode } from './modes';
import { applyFaultSettings, prng, type ReceivedRequest, type SandboxAuth, type SandboxState, type ScriptedFault } from './types';

export type { ReceivedRequest, ScriptedFault } from './types';
export { FAULT_MODES, GATEWAY_FAULT_MODES, type FaultMode } from './modes';
export { startGatewayFor, type GatewayFront, type GatewayOptions } from './gateway';

export interface SandboxOptions {
  /** seeded users, default 50 (works up to 100,000) */
  users?: number;
  /** seeded ordinary groups, default 10, each with a few members */
  groups?: number;
  /** when > 0, a group with displayName "big-group" and this many members (up to 50,000) */
  bigGroupMembers?: number;
  /** subscription key; default random */
  key?: string;
  /** default 'Ocp-Apim-Subscription-Key' */
  keyHeader?: string;
  /** default 'subscription-key' */
  keyQuery?: string;
  /** default basic with user "scim-sandbox" and a random password */
  auth?: SandboxAuth;
  faults?: FaultMode[];
  /** for ratelimit, default 1 */
  retryAfterSeconds?: number;
  /** for flaky/ratelimit/html-errors: fraction of requests hit, default 0.3; deterministic PRNG with `seed` */
  faultRate?: number;
  seed?: number;
  /** default 200 */
  slowMs?: number;
  /** `latency` mode: ms added before every gateway answer, default 50 */
  latencyMs?: number;
  /** server cap on count, default 1000 (capped silently, as servers do) */
  maxPageSize?: number;
  /** ServiceProviderConfig filter.maxResults, and the cap on filtered lists (default maxPageSize) */
  filterMaxResults?: number;
  /** false: ServiceProviderConfig declares no cap (filter.maxResults and pagination.maxPageSize left out), while
   * the caps still apply, silently; default true */
  declareCaps?: boolean;
  gatewayPort?: number;
  backendPort?: number;
  /** The clock whose time is stamped on received requests (`at`); default the system clock. Tests pass the
   * fake clock their client waits on, so that both sides share one timeline. */
  clock?: Pick<Clock, 'now'>;
}

export interface Sandbox {
  /** SCIM base URL through the gateway, e.g. http://127.0.0.1:P/scim/v2 */
  gatewayUrl: string;
  /** SCIM base URL on the backend's own origin (what meta.location points at in 'backend-locations' mode) */
  backendUrl: string;
  key: string;
  keyHeader: string;
  keyQuery: string;
  auth: SandboxOptions['auth'];
  /** everything the GATEWAY received */
  received: ReceivedRequest[];
  /** everything the backend received (directly or via the gateway) */
  backendReceived: ReceivedRequest[];
  setFaults(faults: FaultMode[], opts?: Partial<Pick<SandboxOptions, 'retryAfterSeconds' | 'faultRate' | 'slowMs' | 'latencyMs'>>): void;
  clearReceived(): void;
  /** Injects `fault` on the next request with this method that passes the key check (one each, in order). */
  scriptFault(method: string, fault: ScriptedFault): void;
  /** a ready scim-profiles.yaml document (top-level `profiles:` map) with this sandbox's literal credentials */
  profileYaml(name?: string): string;
  groupIdByName(displayName: string): string | undefined;
  userIdByName(userName: string): string | undefined;
  members(groupId: string): string[];
  addMemberDirect(groupId: string, userId: string): void;
  removeMemberDirect(groupId: string, userId: string): void;
  stop(): Promise<void>;
}

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function checkFaults(faults: readonly string[]): FaultMode[] {
  for (const f of faults) if (!(FAULT_MODES as readonly string[]).includes(f)) throw new Error(`unknown fault mode "${f}" (known: ${FAULT_MODES.join(', ')})`);
  return faults as FaultMode[];
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const users = options.users ?? 50;
  const groups = options.groups ?? 10;
  const big = options.bigGroupMembers ?? 0;
  if (!Number.isInteger(users) || users < 0 || users > 1_000_000) throw new Error(`users must be an integer between 0 and 1000000, got ${users}`);
  if (!Number.isInteger(groups) || groups < 0) throw new Error(`groups must be a non-negative integer, got ${groups}`);
  if (!Number.isInteger(big) || big < 0) throw new Error(`bigGroupMembers must be a non-negative integer, got ${big}`);
  const fmr = options.filterMaxResults;
  if (fmr !== undefined && (!Number.isInteger(fmr) || fmr < 1)) throw new Error(`filterMaxResults must be a positive integer, got ${fmr}`);
  const auth: SandboxAuth = options.auth ?? { type: 'basic', username: 'scim-sandbox', password: randomBytes(12).toString('base64url') };
  const store = new Store();
  store.seed(users, groups, big);
  const state: SandboxState = {
    store,
    faults: new Set(checkFaults(options.faults ?? [])),
    settings: { retryAfterSeconds: options.retryAfterSeconds ?? 1, faultRate: options.faultRate ?? 0.3, slowMs: options.slowMs ?? 200, latencyMs: options.latencyMs ?? DEFAULT_LATENCY_MS },
    auth,
    key: options.key ?? randomBytes(16).toString('hex'),
    keyHeader: options.keyHeader ?? 'Ocp-Apim-Subscription-Key',
    keyQuery: options.keyQuery ?? 'subscription-key',
    maxPageSize: options.maxPageSize ?? 1000,
    filterMaxResults: options.filterMaxResults,
    declareCaps: options.declareCaps,
    gatewayUrl: '',
    backendUrl: '',
    received: [],
    backendReceived: [],
    scripted: [],
    random: prng(options.seed ?? 1),
    cursorNonce: randomBytes(6).toString('hex'),
    gatewaySeq: 0,
    backendSeq: 0,
    now: options.clock ? options.clock.now.bind(options.clock) : undefined,
  };
  recordSecrets(state);

  const backend = http.createServer(createBackendApp(state));
  const gateway = createGateway(state);
  const backendPort = await listen(backend, options.backendPort ?? 0);
  let gatewayPort: number;
  try {
    gatewayPort = await listen(gateway, options.gatewayPort ?? 0);
  } catch (ex) {
    await close(backend);
    throw ex;
  }
  state.backendUrl = `http://127.0.0.1:${backendPort}/scim/v2`;
  state.gatewayUrl = `http://127.0.0.1:${gatewayPort}/scim/v2`;

  const group = (id: string) => {
    const g = store.groups.get(id);
    if (!g) throw new Error(`no group ${id}`);
    return g;
  };
  let stopped: Promise<void> | undefined;

  const sandbox: Sandbox = {
    gatewayUrl: state.gatewayUrl,
    backendUrl: state.backendUrl,
    key: state.key,
    keyHeader: state.keyHeader,
    keyQuery: state.keyQuery,
    auth,
    // same array objects as the state's, so clearReceived must empty them in place
    received: state.received,
    backendReceived: state.backendReceived,
    setFaults(faults, opts = {}) {
      state.faults = new Set(checkFaults(faults));
      applyFaultSettings(state.settings, opts);
    },
    scriptFault(method, fault) {
      state.scripted.push({ method: method.toUpperCase(), fault });
    },
    clearReceived() {
      state.received.length = 0;
      state.backendReceived.length = 0;
    },
    profileYaml(name = 'sandbox') {
      const profile: Record<string, unknown> = { baseUrl: state.gatewayUrl };
      if (auth.type === 'basic') profile['auth'] = { type: 'basic', username: auth.username, password: auth.password };
      else if (auth.type === 'bearer') profile['auth'] = { type: 'bearer', token: auth.token };
      else profile['auth'] = { type: 'none' };
      profile['gateway'] = { subscriptionKey: state.key, header: state.keyHeader, query: state.keyQuery, sendAs: 'header' };
      const doc = new YAML.Document({ profiles: { [name]: profile } });
      doc.commentBefore = ' Local SCIM sandbox: literal credentials are fine here. For a real service use ${env:NAME} instead.';
      return doc.toString();
    },
    groupIdByName: (displayName) => store.groupByName.get(displayName.toLowerCase()),
    userIdByName: (userName) => store.userByName.get(userName.toLowerCase()),
    members: (groupId) => [...group(groupId).members],
    addMemberDirect(groupId, userId) {
      const g = group(groupId);
      if (!store.users.has(userId) && !store.groups.has(userId)) throw new Error(`no user ${userId}`);
      if (store.addMember(g, userId)) store.touch(g);
    },
    removeMemberDirect(groupId, userId) {
      const g = group(groupId);
      if (store.removeMember(g, userId)) store.touch(g);
    },
    stop() {
      stopped ??= Promise.all([close(gateway), close(backend)]).then(() => undefined);
      return stopped;
    },
  };
  return sandbox;
}

/** Under `npm test` (SCIMX_SECRET_LEDGER set by scripts/test.mjs), the secrets this sandbox uses are appended to
 * the ledger, so that the run's last step can check that none of them shows up in anything the tests printed. */
function recordSecrets(state: SandboxState): void {
  const ledger = process.env.SCIMX_SECRET_LEDGER;
  if (!ledger) return;
  const a = state.auth;
  const values: Array<[string, string]> = [[state.key, 'sandbox subscription key']];
  if (a.type === 'basic') {
    values.push([a.password, 'sandbox password'], [Buffer.from(`${a.username}:${a.password}`).toString('base64'), 'sandbox basic token']);
  } else if (a.type === 'bearer') {
    values.push([a.token, 'sandbox bearer token']);
  }
  try {
    appendFileSync(ledger, values.map(([value, from]) => `${JSON.stringify({ value, from })}\n`).join(''));
  } catch {
    // the ledger is a test aid: a sandbox must start without it
  }
}
