import type { FaultMode } from './modes';
import type { Store } from './store';

export { CAPPED_GROUP_READ, FAULT_MODE_INFO, FAULT_MODES, GATEWAY_FAULT_MODES, type FaultMode, type FaultModeInfo } from './modes';

export type SandboxAuth = { type: 'basic'; username: string; password: string } | { type: 'bearer'; token: string } | { type: 'none' };

export interface ReceivedRequest {
  seq: number;
  method: string;
  /** path + query exactly as received */
  url: string;
  /** in the order received (from req.rawHeaders) */
  rawHeaders: Array<[string, string]>;
  body: string;
  at: number;
  /** what was answered; 0 when the connection was reset (flaky) or no answer was written */
  status: number;
  answeredBy: 'gateway' | 'backend';
}

/** One fault injected on the next request of a method (tests that need a precise outcome, not a rate):
 * `*-after` ones reach the backend (the write is applied) and lose or delay the answer; `409` is the SCIM
 * service's 409 Conflict (a concurrent modification, or "member already exists"), nothing applied. */
export type ScriptedFault = '429' | '503-before' | '503-after' | 'reset-before' | 'reset-after' | 'slow-after' | '409';

/** Sets the given fault settings, leaving the others as they are (the sandbox's and the gateway's setFaults). */
export function applyFaultSettings(settings: FaultSettings, opts: Partial<FaultSettings>): void {
  if (opts.retryAfterSeconds !== undefined) settings.retryAfterSeconds = opts.retryAfterSeconds;
  if (opts.faultRate !== undefined) settings.faultRate = opts.faultRate;
  if (opts.slowMs !== undefined) settings.slowMs = opts.slowMs;
  if (opts.latencyMs !== undefined) settings.latencyMs = opts.latencyMs;
}

export interface FaultSettings {
  retryAfterSeconds: number;
  faultRate: number;
  slowMs: number;
  /** `latency`: ms added before every gateway answer */
  latencyMs: number;
}

/** State shared by the gateway and the backend of one sandbox. */
export interface SandboxState {
  store: Store;
  faults: Set<FaultMode>;
  settings: FaultSettings;
  auth: SandboxAuth;
  key: string;
  keyHeader: string;
  keyQuery: string;
  maxPageSize: number;
  /** ServiceProviderConfig filter.maxResults, applied to filtered lists (undefined: maxPageSize) */
  filterMaxResults?: number;
  /** false: ServiceProviderConfig states no page cap (no filter.maxResults, no pagination.maxPageSize), the caps
   * still apply, silently */
  declareCaps?: boolean;
  gatewayUrl: string;
  backendUrl: string;
  received: ReceivedRequest[];
  backendReceived: ReceivedRequest[];
  /** faults for the next requests of a method, consumed in order (sandbox.scriptFault) */
  scripted: Array<{ method: string; fault: ScriptedFault }>;
  /** deterministic PRNG in [0, 1) */
  random: () => number;
  /** makes cursors of this sandbox unrecognisable to another one */
  cursorNonce: string;
  gatewaySeq: number;
  backendSeq: number;
  /** The time stamped on each received request (`at`); default Date.now (tests share their fake clock's). */
  now?: () => number;
}

export function pairs(raw: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

/** mulberry32: small, fast, deterministic */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
