// Chunk "browse" (dist/browse.js): what the first expand of a profile in the tree needs and activation does not:
// reading the profiles files (yaml), the ScimClient with its one pipeline (undici), the provider cache. (The
// membership journal is a chunk of its own, dist/journal.js: ../session.ts opens it on first use.)
// Loaded through ../core-loader.ts; scripts/build.mjs (LAZY) keeps it out of dist/extension.js.
export { ScimClient } from '../../core/scim/client';
export { parseProfiles } from '../../core/profiles';
export { shortSecretWarnings } from '../../core/profile';
export { clearCacheDir } from '../../core/scim/cache';
