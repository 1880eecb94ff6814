// Types for scripts/secret-scan.mjs (the last step of `npm test`, unit-tested).
export interface DeclaredSecret { value: string; from: string }
export function declaredSecrets(source: string): DeclaredSecret[];
export function forms(secret: string): string[];
export interface ScanInput { root: string; ledger: string; printed: Array<{ what: string; text: string }>; since?: number }
export interface ScanResult { secrets: number; forms: number; sources: number; bytes: number; leaks: string[] }
export function scanForSecrets(input: ScanInput): ScanResult;
