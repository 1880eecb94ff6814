// A diagnosis is what a person reads when something went wrong (or nearly): one line that says what
// happened and who said it, and the fix. It is computed from the trace, never from what we meant to send.

export type DiagnosisSource = 'gateway' | 'scim' | 'network' | 'tls' | 'client' | 'location';

export interface Diagnosis {
  severity: 'error' | 'warning' | 'info';
  source: DiagnosisSource;
  /** Stable identifier, e.g. `gateway.key-missing`, `scim.mutability`, `network.reset`. */
  code: string;
  /** One line, e.g. `gateway rejected PATCH: subscription key missing (sent on GET; not on PATCH)`. */
  summary: string;
  /** What to do about it, one line. */
  fix?: string;
  /** The exchange this diagnosis is about. */
  exchangeId?: string;
}
