// What each provisioning connector is documented to send to a SCIM service (issue 14, point 4), as pure data: the
// request of every step and what the resource must look like after it. Each shape cites where it comes from.
// ./compat.ts sends them on scratch resources and checks the result. Nothing here sends anything.
//
// The membership writes are sent raw on purpose, exactly as the connector sends them (a `remove` of `members`
// with a value list, a PUT of the whole group): that is what is being checked, so they do not go through the
// product's membership safety path. They only ever touch a scratch group made for the run, whose only members
// are the run's own scratch users: nothing real can be lost.
import { SCHEMA } from './types';

type Json = Record<string, unknown>;

export const ENTERPRISE_USER = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

export type ConnectorId = 'entra' | 'okta' | 'sap-ips' | 'oneim';
export const CONNECTOR_IDS: readonly ConnectorId[] = ['entra', 'okta', 'sap-ips', 'oneim'];

export type CompatOperation = 'user create' | 'user update' | 'user deactivate' | 'group create' | 'members add' | 'members remove';

/** Where the shapes come from. */
export const SOURCES = {
  entraTutorial: 'https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups',
  entraKnownIssues: 'https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility',
  okta: 'https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20/',
  sapTransformations: 'https://github.com/SAP-docs/btp-cloud-identity-services/blob/main/docs/centralized-provisioning-with-identity-directory-9d0235c.md',
  sapProperties: 'https://github.com/SAP-docs/btp-cloud-identity-services/blob/main/docs/list-of-properties-d6f3577.md',
  oneimFieldReport: 'field report quoted in issue 14 (One Identity Manager SCIM connector: GET then PUT of the whole group)',
  oneimAssumed: 'assumed: no public request sample of the One Identity Manager SCIM connector for users; the read-then-PUT of its group writes (issue 14 field report)',
} as const;

export const CONNECTORS: Record<ConnectorId, { name: string }> = {
  entra: { name: 'Microsoft Entra ID' },
  okta: { name: 'Okta' },
  'sap-ips': { name: 'SAP Identity Provisioning' },
  oneim: { name: 'One Identity Manager' },
};

/** The scratch resources of one connector's run, and the ids learnt so far. */
export interface Scratch {
  /** Endpoints, e.g. `Users`, `Groups`. */
  users: string;
  groups: string;
  /** The profile's base URL (for `$ref` values, as a connector writes them). */
  baseUrl: string;
  userName: string;
  groupName: string;
  /** A stable externalId for the connector's user (Entra and Okta send one). */
  externalId: string;
  userId?: string;
  groupId?: string;
  /** A second scratch user, put in the group before membership steps: a write must not lose it. */
  bystanderId?: string;
}

export interface WriteSpec {
  method: 'POST' | 'PUT' | 'PATCH';
  /** Relative to the base URL. */
  url: string;
  body: Json;
}

export interface CompatStep {
  operation: CompatOperation;
  /** The form in a few words, e.g. `"op":"Replace", active "False" (string)`. */
  form: string;
  /** Where the shape is documented (a URL), or why it is assumed. */
  source: string;
  /** The connector reads the resource first and writes back what it read, changed (read-then-PUT). */
  readFirst?: 'user' | 'group';
  /** Before the step: the user active again (a second deactivation form), the group holding these members. */
  before?: { active?: true; members?: Array<'user' | 'bystander'> };
  /** The request; `read` is what the GET before it answered (readFirst). */
  build(s: Scratch, read?: Json): WriteSpec;
  /** What must hold afterwards, checked on a re-read of the resource: one line per thing that does not. */
  check(s: Scratch, stored: Json): string[];
}

const PATCH_OP = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'] };
const UPDATED_FAMILY = 'Compat-Updated';
const seg = (id: string | undefined): string => encodeURIComponent(id ?? '');
const userUrl = (s: Scratch): string => `${s.users}/${seg(s.userId)}`;
const groupUrl = (s: Scratch): string => `${s.groups}/${seg(s.groupId)}`;
export const updatedEmail = (s: Scratch): string => `${s.userName}.updated@example.com`;

// ---------------------------------------------------------------------------------------------------- checks

function get(o: Json, key: string): unknown {
  const k = Object.keys(o).find((x) => x.toLowerCase() === key.toLowerCase());
  return k === undefined ? undefined : o[k];
}

function obj(v: unknown): Json {
  return v && typeof v === 'object' && !Array.isArray(v) ? v as Json : {};
}

function list(v: unknown): Json[] {
  return Array.isArray(v) ? v.filter((x): x is Json => !!x && typeof x === 'object') : [];
}

export function memberIds(group: Json): string[] {
  return list(get(group, 'members')).map((m) => m.value).filter((v): v is string => typeof v === 'string');
}

function checkActive(want: boolean) {
  return (_s: Scratch, stored: Json): string[] => {
    const a = get(stored, 'active');
    if (a === want) return [];
    if (typeof a === 'string') return [`active is stored as the string ${JSON.stringify(a)}, not the boolean ${want}`];
    return [`active is ${a === undefined ? 'not returned' : JSON.stringify(a)}, not ${want}`];
  };
}

function checkFamilyName(_s: Scratch, stored: Json): string[] {
  const f = get(obj(get(stored, 'name')), 'familyName');
  return f === UPDATED_FAMILY ? [] : [`name.familyName is ${JSON.stringify(f) ?? 'not returned'}, not "${UPDATED_FAMILY}"`];
}

/** A stored attribute's value as text: a string as is, another scalar printed, an object or list as JSON. */
export function scalarText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return v === undefined || v === null || typeof v === 'function' || typeof v === 'symbol' ? '' : JSON.stringify(v);
}

function checkEntraUpdate(s: Scratch, stored: Json): string[] {
  const out = checkFamilyName(s, stored);
  const emails = list(get(stored, 'emails'));
  const work = emails.filter((e) => scalarText(get(e, 'type')).toLowerCase() === 'work');
  if (!work.some((e) => scalarText(get(e, 'value')).toLowerCase() === updatedEmail(s).toLowerCase())) {
    out.push(`the work email is ${JSON.stringify(work.map((e) => get(e, 'value')))}, not ["${updatedEmail(s)}"]`);
  }
  if (work.length > 1) out.push(`${work.length} work emails are stored, one expected`);
  return out;
}

function checkMembers(userIn: boolean) {
  return (s: Scratch, stored: Json): string[] => {
    const ids = memberIds(stored);
    const out: string[] = [];
    const has = s.userId !== undefined && ids.includes(s.userId);
    if (userIn && !has) out.push(`the scratch user is not a member${get(stored, 'members') === undefined ? ' (the group read returned no members list)' : ''}`);
    if (!userIn && has) out.push('the scratch user is still a member');
    // what must not have changed: the other scratch member the write did not name
    if (s.bystanderId && !ids.includes(s.bystanderId)) out.push(`the other member (${s.bystanderId}), not named by the write, is gone`);
    return out;
  };
}

/** The body's attributes the stored group or user must hold (create steps): userName/displayName, active. */
function checkCreated(kind: 'user' | 'group') {
  return (s: Scratch, stored: Json): string[] => {
    const want = kind === 'user' ? s.userName : s.groupName;
    const key = kind === 'user' ? 'userName' : 'displayName';
    const got = get(stored, key);
    const out = typeof got === 'string' && got.toLowerCase() === want.toLowerCase() ? [] : [`${key} is ${JSON.stringify(got) ?? 'not returned'}, not "${want}"`];
    if (kind === 'user') out.push(...checkActive(true)(s, stored));
    return out;
  };
}

// ---------------------------------------------------------------------------------------------------- bodies

/** The scratch user as a plain RFC 7643 body: what setup sends when a connector's own create is refused. */
export function plainUser(s: Scratch): Json {
  // an email too: some services (better-auth's SCIM plugin) refuse a user without one when userName is no address
  return {
    schemas: [SCHEMA.user], userName: s.userName, displayName: `${s.userName} (scimx compat)`, active: true,
    emails: [{ value: `${s.userName}@example.com`, type: 'work', primary: true }],
  };
}

export function plainGroup(s: Scratch): Json {
  return { schemas: [SCHEMA.group], displayName: s.groupName };
}

/** Standard add of members (setup before a membership step). */
export function plainAddMembers(ids: string[]): Json {
  return { ...PATCH_OP, Operations: [{ op: 'add', path: 'members', value: ids.map((value) => ({ value })) }] };
}

/** Standard activation (setup before the second deactivation form). */
export function plainActivate(): Json {
  return { ...PATCH_OP, Operations: [{ op: 'replace', path: 'active', value: true }] };
}

/** A read resource written back: read-only attributes (meta) left out, `id` kept unless `dropId`. */
function writeBack(read: Json | undefined, dropId = false): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(read ?? {})) {
    if (k === 'meta' || (dropId && k === 'id')) continue;
    out[k] = v;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------- connectors

const entra: CompatStep[] = [
  {
    // "Create User" request of the tutorial, SCIM protocol requests and responses
    operation: 'user create', form: 'POST with core + enterprise schemas, meta, roles []', source: `${SOURCES.entraTutorial}#create-user`,
    build: (s) => ({
      method: 'POST', url: s.users, body: {
        schemas: [SCHEMA.user, ENTERPRISE_USER], externalId: s.externalId, userName: s.userName, active: true,
        emails: [{ primary: true, type: 'work', value: `${s.userName}@example.com` }], meta: { resourceType: 'User' },
        name: { formatted: 'Compat User', familyName: 'User', givenName: 'Compat' }, roles: [],
      },
    }),
    check: checkCreated('user'),
  },
  {
    // "Update User [Multi-valued properties]": `Replace` capitalised, a value-filtered path
    operation: 'user update', form: '"op":"Replace", emails[type eq "work"].value, name.familyName', source: `${SOURCES.entraTutorial}#update-user-multi-valued-properties`,
    build: (s) => ({
      method: 'PATCH', url: userUrl(s), body: {
        ...PATCH_OP, Operations: [
          { op: 'Replace', path: 'emails[type eq "work"].value', value: updatedEmail(s) },
          { op: 'Replace', path: 'name.familyName', value: UPDATED_FAMILY },
        ],
      },
    }),
    check: checkEntraUpdate,
  },
  {
    // Known issues, "Requests made to disable users", without the aadOptscim062020 flag (Entra's default): the op
    // capitalised and the boolean sent as the string "False"
    operation: 'user deactivate', form: '"op":"Replace", active "False" (string; default, no aadOptscim062020)', source: `${SOURCES.entraKnownIssues}#flags-to-alter-the-scim-behavior`,
    build: (s) => ({ method: 'PATCH', url: userUrl(s), body: { ...PATCH_OP, Operations: [{ op: 'Replace', path: 'active', value: 'False' }] } }),
    check: checkActive(false),
  },
  {
    // The same, with the aadOptscim062020 flag: lowercase op, a boolean
    operation: 'user deactivate', form: '"op":"replace", active false (aadOptscim062020)', source: `${SOURCES.entraKnownIssues}#flags-to-alter-the-scim-behavior`,
    before: { active: true },
    build: (s) => ({ method: 'PATCH', url: userUrl(s), body: { ...PATCH_OP, Operations: [{ op: 'replace', path: 'active', value: false }] } }),
    check: checkActive(false),
  },
  {
    // "Create Group": with Microsoft's own ADSCIM schema URI beside the core one, no members
    operation: 'group create', form: 'POST with core + ADSCIM Group schemas, externalId, meta', source: `${SOURCES.entraTutorial}#create-group`,
    build: (s) => ({
      method: 'POST', url: s.groups, body: {
        schemas: [SCHEMA.group, 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'],
        externalId: `${s.externalId}-group`, displayName: s.groupName, meta: { resourceType: 'Group' },
      },
    }),
    check: checkCreated('group'),
  },
  {
    // "Update Group [Add Members]": `Add` capitalised, `$ref: null`
    operation: 'members add', form: '"op":"Add", path members, [{"$ref":null,"value":ID}]', source: `${SOURCES.entraTutorial}#update-group-add-members`,
    before: { members: ['bystander'] },
    build: (s) => ({ method: 'PATCH', url: groupUrl(s), body: { ...PATCH_OP, Operations: [{ op: 'Add', path: 'members', value: [{ $ref: null, value: s.userId }] }] } }),
    check: checkMembers(true),
  },
  {
    // Known issues, "Requests made to remove a group member", without the flag: `Remove` of path `members` with a
    // value list (servers that read it as "remove members" wipe the group: SimpleIdServer #244, SCIMple #436)
    operation: 'members remove', form: '"op":"Remove", path members, value [{"value":ID}] (default, no aadOptscim062020)', source: `${SOURCES.entraKnownIssues}#flags-to-alter-the-scim-behavior`,
    before: { members: ['user', 'bystander'] },
    build: (s) => ({ method: 'PATCH', url: groupUrl(s), body: { ...PATCH_OP, Operations: [{ op: 'Remove', path: 'members', value: [{ value: s.userId }] }] } }),
    check: checkMembers(false),
  },
  {
    // The same with the flag: a value-filtered path, no value
    operation: 'members remove', form: '"op":"remove", path members[value eq "ID"] (aadOptscim062020)', source: `${SOURCES.entraKnownIssues}#flags-to-alter-the-scim-behavior`,
    before: { members: ['user', 'bystander'] },
    build: (s) => ({ method: 'PATCH', url: groupUrl(s), body: { ...PATCH_OP, Operations: [{ op: 'remove', path: `members[value eq "${s.userId}"]` }] } }),
    check: checkMembers(false),
  },
];

const okta: CompatStep[] = [
  {
    // "Create the User". Okta also sends `password` when password sync is on: left out here, so that no credential
    // is written to the trace.
    operation: 'user create', form: 'POST with externalId, locale, groups []', source: `${SOURCES.okta}#create-the-user`,
    build: (s) => ({
      method: 'POST', url: s.users, body: {
        schemas: [SCHEMA.user], userName: s.userName, name: { givenName: 'Compat', familyName: 'User' },
        emails: [{ primary: true, value: `${s.userName}@example.com`, type: 'work' }], displayName: 'Compat User',
        locale: 'en-US', externalId: s.externalId, groups: [], active: true,
      },
    }),
    check: checkCreated('user'),
  },
  {
    // "Update a specific User (PUT)": GET the user, then PUT it back whole with the changed attributes
    operation: 'user update', form: 'GET, then PUT of the whole user', source: `${SOURCES.okta}#update-a-specific-user-put`,
    readFirst: 'user',
    build: (s, read) => ({ method: 'PUT', url: userUrl(s), body: { ...writeBack(read), name: { ...obj(read?.name), givenName: 'Compat', familyName: UPDATED_FAMILY } } }),
    check: checkFamilyName,
  },
  {
    // "Update a specific User (PATCH)": deactivation, a replace without a path
    operation: 'user deactivate', form: '"op":"replace", no path, value {"active":false}', source: `${SOURCES.okta}#update-a-specific-user-patch`,
    build: (s) => ({ method: 'PATCH', url: userUrl(s), body: { ...PATCH_OP, Operations: [{ op: 'replace', value: { active: false } }] } }),
    check: checkActive(false),
  },
  {
    // "Create Groups" (Group Push): an empty member list
    operation: 'group create', form: 'POST with members []', source: `${SOURCES.okta}#create-groups`,
    build: (s) => ({ method: 'POST', url: s.groups, body: { schemas: [SCHEMA.group], displayName: s.groupName, members: [] } }),
    check: checkCreated('group'),
  },
  {
    // "Update specific Group membership" (Group Push): add with value and display
    operation: 'members add', form: '"op":"add", path members, [{"value":ID,"display":…}]', source: `${SOURCES.okta}#update-specific-group-membership`,
    before: { members: ['bystander'] },
    build: (s) => ({ method: 'PATCH', url: groupUrl(s), body: { ...PATCH_OP, Operations: [{ op: 'add', path: 'members', value: [{ value: s.userId, display: s.userName }] }] } }),
    check: checkMembers(true),
  },
  {
    // the same request's remove: a value-filtered path (authentik #25686: answered 200, nothing removed)
    operation: 'members remove', form: '"op":"remove", path members[value eq "ID"]', source: `${SOURCES.okta}#update-specific-group-membership`,
    before: { members: ['user', 'bystander'] },
    build: (s) => ({ method: 'PATCH', url: groupUrl(s), body: { ...PATCH_OP, Operations: [{ op: 'remove', path: `members[value eq "${s.userId}"]` }] } }),
    check: checkMembers(false),
  },
];

// SAP Identity Provisioning writes with PUT unless a target system sets `*.support.patch.operation` to true
// (SOURCES.sapProperties); its default write transformations (SOURCES.sapTransformations) build the bodies: core
// schemas, userName, name, emails by value, displayName, active; a group's displayName and members by value.
const sapUser = (s: Scratch, familyName: string, active: boolean): Json => ({
  ...(s.userId ? { id: s.userId } : {}),
  schemas: [SCHEMA.user, ENTERPRISE_USER], userName: s.userName, name: { givenName: 'Compat', familyName },
  emails: [{ value: `${s.userName}@example.com`, primary: true }], displayName: 'Compat User', active,
});
const sapGroup = (s: Scratch, members: Array<string | undefined>): Json => ({
  id: s.groupId, schemas: [SCHEMA.group], displayName: s.groupName,
  members: members.filter((m): m is string => !!m).map((value) => ({ value })),
});

const sap: CompatStep[] = [
  {
    operation: 'user create', form: 'POST with core + enterprise schemas', source: SOURCES.sapTransformations,
    build: (s) => ({ method: 'POST', url: s.users, body: sapUser({ ...s, userId: undefined }, 'User', true) }),
    check: checkCreated('user'),
  },
  {
    operation: 'user update', form: 'PUT of the whole user (patch.operation false, the default)', source: SOURCES.sapProperties,
    build: (s) => ({ method: 'PUT', url: userUrl(s), body: sapUser(s, UPDATED_FAMILY, true) }),
    check: checkFamilyName,
  },
  {
    operation: 'user deactivate', form: 'PUT of the whole user with active false', source: SOURCES.sapProperties,
    build: (s) => ({ method: 'PUT', url: userUrl(s), body: sapUser(s, UPDATED_FAMILY, false) }),
    check: checkActive(false),
  },
  {
    operation: 'group create', form: 'POST with displayName', source: SOURCES.sapTransformations,
    build: (s) => ({ method: 'POST', url: s.groups, body: plainGroup(s) }),
    check: checkCreated('group'),
  },
  {
    // the whole member list as the source system knows it
    operation: 'members add', form: 'PUT of the whole group, members by value', source: SOURCES.sapProperties,
    before: { members: ['bystander'] },
    build: (s) => ({ method: 'PUT', url: groupUrl(s), body: sapGroup(s, [s.bystanderId, s.userId]) }),
    check: checkMembers(true),
  },
  {
    operation: 'members remove', form: 'PUT of the whole group without the member', source: SOURCES.sapProperties,
    before: { members: ['user', 'bystander'] },
    build: (s) => ({ method: 'PUT', url: groupUrl(s), body: sapGroup(s, [s.bystanderId]) }),
    check: checkMembers(false),
  },
];

/** The One Identity Manager connector's group body, from what it read: displayName, members with an absolute
 * `$ref`, `type` and `value`, the core schema, and no `id` (the field report's shape). */
export function oneimGroup(s: Scratch, read: Json | undefined, change: { add?: string; remove?: string }): Json {
  const ids = memberIds(read ?? {}).filter((id) => id !== change.remove);
  if (change.add && !ids.includes(change.add)) ids.push(change.add);
  const base = s.baseUrl.replace(/\/+$/, '');
  return {
    displayName: typeof read?.displayName === 'string' ? read.displayName : s.groupName,
    members: ids.map((id) => ({ $ref: `${base}/${s.users}/${seg(id)}`, type: 'User', value: id })),
    schemas: [SCHEMA.group],
  };
}

const oneim: CompatStep[] = [
  {
    operation: 'user create', form: 'POST (RFC 7644)', source: SOURCES.oneimAssumed,
    build: (s) => ({ method: 'POST', url: s.users, body: plainUser(s) }),
    check: checkCreated('user'),
  },
  {
    operation: 'user update', form: 'GET, then PUT of the whole user', source: SOURCES.oneimAssumed, readFirst: 'user',
    build: (s, read) => ({ method: 'PUT', url: userUrl(s), body: { ...writeBack(read), name: { ...obj(read?.name), familyName: UPDATED_FAMILY } } }),
    check: checkFamilyName,
  },
  {
    operation: 'user deactivate', form: 'GET, then PUT of the whole user with active false', source: SOURCES.oneimAssumed, readFirst: 'user',
    build: (s, read) => ({ method: 'PUT', url: userUrl(s), body: { ...writeBack(read), active: false } }),
    check: checkActive(false),
  },
  {
    operation: 'group create', form: 'POST with displayName, members [], schemas', source: SOURCES.oneimFieldReport,
    build: (s) => ({ method: 'POST', url: s.groups, body: { displayName: s.groupName, members: [], schemas: [SCHEMA.group] } }),
    check: checkCreated('group'),
  },
  {
    operation: 'members add', form: 'GET, then PUT of the whole group ($ref, type, value; no id)', source: SOURCES.oneimFieldReport, readFirst: 'group',
    before: { members: ['bystander'] },
    build: (s, read) => ({ method: 'PUT', url: groupUrl(s), body: oneimGroup(s, read, { add: s.userId }) }),
    check: checkMembers(true),
  },
  {
    operation: 'members remove', form: 'GET, then PUT of the whole group without the member', source: SOURCES.oneimFieldReport, readFirst: 'group',
    before: { members: ['user', 'bystander'] },
    build: (s, read) => ({ method: 'PUT', url: groupUrl(s), body: oneimGroup(s, read, { remove: s.userId }) }),
    check: checkMembers(false),
  },
];

export const CONNECTOR_STEPS: Record<ConnectorId, CompatStep[]> = { entra, okta, 'sap-ips': sap, oneim };

/** `all`, one id, or a comma-separated list; throws on an unknown name (the message lists the known ones). */
export function parseConnectors(value: string | undefined): ConnectorId[] {
  if (value === undefined || value.trim() === '' || value.trim() === 'all') return [...CONNECTOR_IDS];
  const out: ConnectorId[] = [];
  for (const raw of value.split(',').map((x) => x.trim().toLowerCase()).filter(Boolean)) {
    const id = raw === 'sap' || raw === 'ips' ? 'sap-ips' : raw === 'one-identity' || raw === 'oim' ? 'oneim' : raw === 'entra-id' || raw === 'azure' ? 'entra' : raw;
    if (!(CONNECTOR_IDS as readonly string[]).includes(id)) throw new Error(`unknown connector "${raw}" (known: ${CONNECTOR_IDS.join(', ')}, all)`);
    if (!out.includes(id as ConnectorId)) out.push(id as ConnectorId);
  }
  return out;
}
