// The `auth:` section: none, basic, bearer, or OAuth 2.0 client credentials, each with only its own keys.
import type { AuthConfig } from '../../profile';
import type { Level } from '../level';
import { join, type Ctx } from '../reader';
import { ALL_AUTH_KEYS, AUTH_KEYS, AUTH_TYPES, checkUrl } from '../rules';

/** The profile's auth (`none` when the section is absent); undefined when the section has a problem. */
export async function readAuth(ctx: Ctx, p: Level): Promise<AuthConfig | undefined> {
  let auth: AuthConfig | undefined = { type: 'none' };
  const a = p.sub('auth', ALL_AUTH_KEYS);
  if (a) {
    auth = undefined;
    const type = await a.oneOf('type', AUTH_TYPES, 'none');
    if (type !== undefined && !a.has('type')) {
      ctx.problem(a.node, join(a.path, 'type'), `missing required key \`type\` (one of: ${AUTH_TYPES.join(', ')})`);
    } else if (type !== undefined) {
      const allowed = AUTH_KEYS[type];
      for (const k of a.byKey.keys()) {
        if (ALL_AUTH_KEYS.includes(k) && !allowed.includes(k)) {
          ctx.problem(a.byKey.get(k)?.keyNode ?? a.node, join(a.path, k),
            `\`${k}\` does not apply to auth type ${type}${allowed.length > 1 ? ` (keys: ${allowed.join(', ')})` : ''}`);
        }
      }
      if (type === 'none') auth = { type };
      else if (type === 'basic') {
        const username = await a.str('username', { required: 'the user name' });
        const password = await a.str('password', { required: 'the password, e.g. ${env:SCIM_PASSWORD}', secret: true });
        if (username && password) auth = { type, username: username.value, password: password.value };
      } else if (type === 'bearer') {
        const token = await a.str('token', { required: 'the token, e.g. ${env:SCIM_TOKEN}', secret: true });
        if (token) auth = { type, token: token.value };
      } else {
        const tokenUrl = await a.str('tokenUrl', { required: 'the OAuth 2.0 token endpoint URL' });
        const clientId = await a.str('clientId', { required: 'the OAuth client id' });
        const clientSecret = await a.str('clientSecret', { required: 'the client secret, e.g. ${secret:CLIENT_SECRET}', secret: true });
        const scope = await a.str('scope');
        const audience = await a.str('audience');
        let tu: string | undefined;
        if (tokenUrl) {
          const u = checkUrl(tokenUrl.value, false);
          if (typeof u === 'object') tu = u.url;
          else ctx.problem(a.at('tokenUrl'), join(a.path, 'tokenUrl'), u);
        }
        if (tu && clientId && clientSecret) {
          auth = { type, tokenUrl: tu, clientId: clientId.value, clientSecret: clientSecret.value };
          if (scope) auth.scope = scope.value;
          if (audience) auth.audience = audience.value;
        }
      }
    }
  }
  return auth;
}
