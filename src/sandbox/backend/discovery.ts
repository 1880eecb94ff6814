// ServiceProviderConfig: what this sandbox says it supports, as its modes make it.
import SCIMMY from 'scimmy';
import type { Json } from '../store';
import type { SandboxState } from '../types';
import { DEFAULT_PAGE } from './context';

export function serviceProviderConfig(state: SandboxState, base: string): Json {
  const auth = state.auth;
  const schemes = auth.type === 'bearer'
    ? [{ type: 'oauthbearertoken', name: 'OAuth Bearer Token', description: 'Authentication scheme using the OAuth Bearer Token Standard', specUri: 'https://datatracker.ietf.org/doc/html/rfc6750' }]
    : auth.type === 'basic'
      ? [{ type: 'httpbasic', name: 'HTTP Basic', description: 'Authentication scheme using the HTTP Basic Standard', specUri: 'https://datatracker.ietf.org/doc/html/rfc2617' }]
      : [];
  const spc = new SCIMMY.Schemas.ServiceProviderConfig({
    patch: { supported: !state.faults.has('no-patch') },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: !state.faults.has('no-filter') && !state.faults.has('capped-group-read'), maxResults: state.filterMaxResults ?? state.maxPageSize },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: state.faults.has('etag') },
    authenticationSchemes: schemes,
  }, base);
  const out = JSON.parse(JSON.stringify(spc)) as Json;
  // RFC 9865 pagination block (SCIMMY's schema does not know it yet)
  out['pagination'] = state.faults.has('cursor')
    ? { cursor: true, index: false, defaultPaginationMethod: 'cursor', defaultPageSize: Math.min(DEFAULT_PAGE, state.maxPageSize), maxPageSize: state.maxPageSize, cursorTimeout: 3600 }
    : { cursor: false, index: true, defaultPaginationMethod: 'index', defaultPageSize: Math.min(DEFAULT_PAGE, state.maxPageSize), maxPageSize: state.maxPageSize };
  if (state.declareCaps === false) {
    // a provider that caps its pages without saying so
    delete (out['filter'] as Json)['maxResults'];
    delete (out['pagination'] as Json)['maxPageSize'];
  }
  return out;
}
