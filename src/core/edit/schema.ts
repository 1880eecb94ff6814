// What an edit needs to know of a resource's attributes (RFC 7643 §2.2, §7): name, multi-valued or not, complex
// or not, and mutability. Read from the service's /Schemas (the client's discovery, cached per profile); where the
// service offers none, or a schema is missing, RFC 7643's own definitions (§4, §8.7.1) stand in. Attribute names
// are matched without case (RFC 7643 §2.1).
import type { Discovery } from '../scim/types';

export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';

export interface AttrDef {
  name: string;
  type: string;
  multiValued: boolean;
  mutability: Mutability;
  subAttributes?: AttrDef[];
}

export interface SchemaDef {
  id: string;
  attributes: AttrDef[];
}

/** The schemas of one resource: its core schema and the extensions it may carry. */
export interface ResourceSchema {
  core: SchemaDef;
  extensions: SchemaDef[];
  /** Where the definitions came from, e.g. `/Schemas` or `RFC 7643 (the service offers no /Schemas)`. */
  source: string;
}

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

const s = (name: string, mutability: Mutability = 'readWrite', type = 'string'): AttrDef => ({ name, type, multiValued: false, mutability });
const b = (name: string): AttrDef => s(name, 'readWrite', 'boolean');
const complex = (name: string, subs: AttrDef[], multiValued: boolean, mutability: Mutability = 'readWrite'): AttrDef => ({ name, type: 'complex', multiValued, mutability, subAttributes: subs });
/** value, display, type, primary: the sub-attributes of most multi-valued attributes (RFC 7643 §2.4). */
const multi = (name: string, extra: AttrDef[] = []): AttrDef => complex(name, [s('value'), s('display'), s('type'), b('primary'), ...extra], true);

/** Attributes every resource has (RFC 7643 §3.1): not part of any schema. */
export const COMMON_ATTRIBUTES: AttrDef[] = [
  s('id', 'readOnly'),
  s('externalId'),
  complex('meta', [s('resourceType', 'readOnly'), s('created', 'readOnly', 'dateTime'), s('lastModified', 'readOnly', 'dateTime'), s('location', 'readOnly', 'reference'), s('version', 'readOnly')], false, 'readOnly'),
];

/** RFC 7643 §8.7.1, the parts an edit needs. */
export const RFC_SCHEMAS: SchemaDef[] = [
  {
    id: USER_SCHEMA,
    attributes: [
      s('userName'),
      complex('name', ['formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix'].map((n) => s(n)), false),
      s('displayName'), s('nickName'), s('profileUrl', 'readWrite', 'reference'), s('title'), s('userType'), s('preferredLanguage'), s('locale'), s('timezone'),
      b('active'),
      s('password', 'writeOnly'),
      multi('emails'), multi('phoneNumbers'), multi('ims'), multi('photos'),
      complex('addresses', ['formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country', 'type'].map((n) => s(n)).concat(b('primary')), true),
      complex('groups', [s('value', 'readOnly'), s('$ref', 'readOnly', 'reference'), s('display', 'readOnly'), s('type', 'readOnly')], true, 'readOnly'),
      multi('entitlements'), multi('roles'), multi('x509Certificates'),
    ],
  },
  {
    id: GROUP_SCHEMA,
    attributes: [
      s('displayName'),
      complex('members', [s('value', 'immutable'), s('$ref', 'immutable', 'reference'), s('type', 'immutable'), s('display')], true),
    ],
  },
  {
    id: ENTERPRISE_USER,
    attributes: [
      s('employeeNumber'), s('costCenter'), s('organization'), s('division'), s('department'),
      complex('manager', [s('value'), s('$ref', 'readWrite', 'reference'), s('displayName', 'readOnly')], false),
    ],
  },
];

const MUTABILITIES: readonly Mutability[] = ['readOnly', 'readWrite', 'immutable', 'writeOnly'];

function attrFrom(raw: unknown): AttrDef | undefined {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const o = raw as Record<string, unknown>;
  if (typeof o.name !== 'string' || !o.name) return undefined;
  const m = typeof o.mutability === 'string' ? MUTABILITIES.find((x) => x.toLowerCase() === (o.mutability as string).toLowerCase()) : undefined;
  const subs = Array.isArray(o.subAttributes) ? o.subAttributes.map(attrFrom).filter((x): x is AttrDef => !!x) : undefined;
  return {
    name: o.name,
    type: typeof o.type === 'string' ? o.type : subs?.length ? 'complex' : 'string',
    multiValued: o.multiValued === true || o.multiValued === 'true',
    // RFC 7643 §7: mutability defaults to readWrite
    mutability: m ?? 'readWrite',
    ...(subs?.length ? { subAttributes: subs } : {}),
  };
}

/** A schema document of /Schemas, read defensively. */
export function schemaFrom(raw: Record<string, unknown>): SchemaDef | undefined {
  if (typeof raw.id !== 'string' || !raw.id) return undefined;
  const attrs = Array.isArray(raw.attributes) ? raw.attributes.map(attrFrom).filter((x): x is AttrDef => !!x) : [];
  return { id: raw.id, attributes: attrs };
}

function sameUrn(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * The schemas of a resource of core schema `coreId`, from discovery (undefined: none read) and RFC 7643. The
 * extensions are every schema the service lists other than the core ones, plus RFC 7643's enterprise extension.
 */
export function resourceSchema(coreId: string, discovery: Pick<Discovery, 'schemas' | 'defaults'> | undefined): ResourceSchema {
  const served = (discovery?.schemas ?? []).map(schemaFrom).filter((x): x is SchemaDef => !!x);
  const fromService = served.find((x) => sameUrn(x.id, coreId));
  const fromRfc = RFC_SCHEMAS.find((x) => sameUrn(x.id, coreId));
  const core = fromService && fromService.attributes.length ? fromService : fromRfc ?? { id: coreId, attributes: [] };
  const coreIds = new Set([USER_SCHEMA, GROUP_SCHEMA, coreId].map((x) => x.toLowerCase()));
  const extensions = served.filter((x) => !coreIds.has(x.id.toLowerCase()) && x.id.toLowerCase().includes(':extension:'));
  if (!extensions.some((x) => sameUrn(x.id, ENTERPRISE_USER)) && sameUrn(coreId, USER_SCHEMA)) extensions.push(RFC_SCHEMAS[2]!);
  const noSchemas = discovery?.defaults?.some((d) => d.document === 'Schemas') || !served.length;
  const source = core === fromService ? '/Schemas' : noSchemas ? 'RFC 7643 (the service offers no /Schemas)' : `RFC 7643 (${coreId} is not in /Schemas)`;
  return { core: { id: core.id, attributes: [...COMMON_ATTRIBUTES, ...core.attributes.filter((a) => !COMMON_ATTRIBUTES.some((c) => sameName(c.name, a.name)))] }, extensions, source };
}

export function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

export function findAttr(attrs: readonly AttrDef[] | undefined, name: string): AttrDef | undefined {
  return attrs?.find((a) => sameName(a.name, name));
}

export function findExtension(schema: ResourceSchema, urn: string): SchemaDef | undefined {
  return schema.extensions.find((x) => sameUrn(x.id, urn));
}

/** A top-level key that names a schema extension (`urn:…`), as RFC 7643 §3.3 writes extension attributes. */
export function isUrnKey(key: string): boolean {
  return /^urn:/i.test(key);
}
