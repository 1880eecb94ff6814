// The `gateway:` section: the subscription key and where it goes (header, query or both, under which names).
import { DEFAULT_KEY_HEADER, DEFAULT_KEY_QUERY, type GatewayConfig } from '../../profile';
import type { Level } from '../level';
import { clip } from '../messages';
import { join, type Ctx } from '../reader';
import { BAD_QUERY_NAME, GATEWAY_KEYS, HEADER_NAME, SEND_AS } from '../rules';

/** The profile's gateway settings (APIM's defaults where the section says nothing). */
export async function readGateway(ctx: Ctx, p: Level): Promise<GatewayConfig> {
  const gateway: GatewayConfig = { header: DEFAULT_KEY_HEADER, query: DEFAULT_KEY_QUERY, sendAs: 'header' };
  const g = p.sub('gateway', GATEWAY_KEYS);
  if (g) {
    const key = await g.str('subscriptionKey', { secret: true });
    if (key) gateway.subscriptionKey = key.value;
    const header = await g.str('header', { required: 'a header name', optional: true });
    if (header) {
      if (HEADER_NAME.test(header.value)) gateway.header = header.value;
      else ctx.problem(g.at('header'), join(g.path, 'header'), `"${clip(header.value)}" is not a valid header name`);
    }
    const query = await g.str('query', { required: 'a query parameter name', optional: true });
    if (query) {
      if (!BAD_QUERY_NAME.test(query.value)) gateway.query = query.value;
      else ctx.problem(g.at('query'), join(g.path, 'query'), `"${clip(query.value)}" is not a valid query parameter name`);
    }
    const sendAs = await g.oneOf('sendAs', SEND_AS, 'header');
    if (sendAs) gateway.sendAs = sendAs;
  }
  return gateway;
}
