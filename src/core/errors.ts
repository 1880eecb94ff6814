// Typed errors. Every error carries a one-line human message (`message`) and a stable `code`.
// `hint` is the action a person can take; `exchangeId` points at the trace entry that shows it.
import type { Diagnosis } from './trace';

export type ErrorCode =
  | 'config'          // profiles file or flags are wrong (CLI exit 2)
  | 'usage'           // command line is wrong (CLI exit 2)
  | 'http'            // the server answered with a status we treat as failure
  | 'gateway'         // the API gateway (APIM) rejected the request
  | 'scim'            // the SCIM service provider answered with a SCIM error
  | 'network'         // connection refused/reset, DNS, TLS
  | 'timeout'         // no answer within the profile's timeoutMs
  | 'cancelled'       // the user cancelled
  | 'location'        // a server-provided URL was refused by the profile's location policy
  | 'response'        // the answer is not what SCIM promises (HTML, non-JSON, wrong types, endless paging)
  | 'conflict'        // a concurrent change could not be reconciled
  | 'lost'            // a write left a group without members the change did not name (restore puts them back)
  | 'unsupported';    // the provider cannot do what was asked

export interface ScimxErrorOptions {
  hint?: string;
  exchangeId?: string;
  diagnosis?: Diagnosis;
  cause?: unknown;
}

/** Marks every ScimxError, whichever copy of this module made it: the extension's files share one copy
 * (scripts/build.mjs splits them so that each module is in one file), but any other bundle holds its own copy of
 * this class, so `instanceof` alone fails across them. */
const BRAND = Symbol.for('scim-explorer.ScimxError');

export class ScimxError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly exchangeId?: string;
  diagnosis?: Diagnosis;

  constructor(code: ErrorCode, message: string, options: ScimxErrorOptions = {}) {
    super(oneLine(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ScimxError';
    this.code = code;
    this.hint = options.hint;
    this.exchangeId = options.exchangeId;
    this.diagnosis = options.diagnosis;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** Position of a problem in a profiles file (1-based line and column). */
export interface ConfigProblem {
  file: string;
  line: number;
  column: number;
  /** Dotted key path, e.g. `profiles.dev.gateway.sendAs`. */
  key: string;
  message: string;
}

export class ConfigError extends ScimxError {
  readonly problems: ConfigProblem[];
  constructor(message: string, problems: ConfigProblem[] = [], options: ScimxErrorOptions = {}) {
    super('config', message, options);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export class HttpStatusError extends ScimxError {
  readonly status: number;
  readonly scimType?: string;
  readonly detail?: string;
  constructor(
    code: 'http' | 'gateway' | 'scim',
    status: number,
    message: string,
    options: ScimxErrorOptions & { scimType?: string; detail?: string } = {},
  ) {
    super(code, message, options);
    this.name = 'HttpStatusError';
    this.status = status;
    this.scimType = options.scimType;
    this.detail = options.detail;
  }
}

/** True for a ScimxError made by any copy of this module (see BRAND). */
export function isScimxError(e: unknown): e is ScimxError {
  return e instanceof ScimxError || (e instanceof Error && (e as Error & { [BRAND]?: unknown })[BRAND] === true);
}

export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** Turns anything thrown into a ScimxError without losing its message. */
export function toScimxError(e: unknown): ScimxError {
  if (isScimxError(e)) return e;
  if (e instanceof Error) {
    if (e.name === 'AbortError') return new ScimxError('cancelled', 'Cancelled.', { cause: e });
    return new ScimxError('network', e.message || e.name, { cause: e });
  }
  return new ScimxError('network', String(e));
}
