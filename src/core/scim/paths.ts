// Resource paths relative to the base URL: an endpoint without its slashes, a resource id as one opaque segment.
import { ScimxError } from '../errors';

export function trimSlash(endpoint: string): string {
  return endpoint.replace(/^\/+|\/+$/g, '');
}

export function resourcePath(endpoint: string, id: string): string {
  if (!id) throw new ScimxError('usage', 'An id is needed.');
  // `.` and `..` are dot segments even percent-encoded (%2e): URL parsing would resolve them away from the
  // resource (`Users/..` is the base URL). Every other id is one opaque path segment.
  if (id === '.' || id === '..') throw new ScimxError('usage', `"${id}" cannot be a resource id: it would address another path than ${trimSlash(endpoint)}/…`);
  return `${trimSlash(endpoint)}/${encodeURIComponent(id)}`;
}
