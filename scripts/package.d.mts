// Types for scripts/package.mjs (imported by the e2e tests).
export interface PackagedExtension {
  vsixPath: string;
  vsixBytes: number;
  bundleBytes: number;
  files: string[];
}
export function packageExtension(opts?: { out?: string; quiet?: boolean }): PackagedExtension;
