// The gateway key: the one place that puts it on a request (header, query or both, per the profile's
// `gateway.sendAs`), and the reading of where it went from what was written on the wire.
import type { GatewayConfig, KeyPlacement } from '../profile';
import type { HeaderList } from '../trace';
import { appendQuery, dropQueryParams } from './locations';

export interface KeyedRequest {
  /** The URL without any key query parameter of its own, with the key added when it goes in the query. */
  url: string;
  /** The key header, when the key goes in a header. */
  header?: [name: string, value: string];
}

/**
 * Places the gateway key on a request to `url`. `withKey` false (credentials withheld: another origin) still
 * drops a key query parameter the URL carried, so the key never travels by accident.
 */
export function placeKey(g: GatewayConfig, url: string, withKey: boolean): KeyedRequest {
  const u = new URL(url);
  const key = withKey ? g.subscriptionKey : undefined;
  let keyed = `${u.origin}${u.pathname}${dropQueryParams(u.search, [g.query])}`;
  if (key && (g.sendAs === 'query' || g.sendAs === 'both')) keyed = appendQuery(keyed, [[g.query, key]]);
  const out: KeyedRequest = { url: keyed };
  if (key && (g.sendAs === 'header' || g.sendAs === 'both')) out.header = [g.header, key];
  return out;
}

/** Where the key went on one request, read from its headers and its request target (`/path?query`). */
export function keyPlacementOnWire(g: GatewayConfig, headers: HeaderList, target: string): KeyPlacement | 'none' {
  const name = g.header.toLowerCase();
  const inHeader = headers.some(([n]) => n.toLowerCase() === name);
  const q = target.indexOf('?');
  const inQuery = q >= 0 && dropQueryParams(target.slice(q), [g.query]) !== dropQueryParams(target.slice(q), []);
  return inHeader && inQuery ? 'both' : inHeader ? 'header' : inQuery ? 'query' : 'none';
}
