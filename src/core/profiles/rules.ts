// Rules a profile's values must follow, shared by the profiles file, the command-line flags and the pipeline.

/**
 * Header names the HTTP client and the pipeline own: a profile (file or `--header`) cannot set them, and the
 * pipeline ignores them in per-request headers. Framing and hop-by-hop headers are written by undici (which
 * refuses `expect`, `upgrade`, `keep-alive`, `transfer-encoding` outright); `proxy-authorization` goes to the
 * proxy only, from the profile's proxy settings, never to the server.
 */
export const RESERVED_HEADERS: readonly string[] = [
  'host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade', 'expect', 'te', 'trailer',
  'proxy-authorization', 'proxy-connection',
];
