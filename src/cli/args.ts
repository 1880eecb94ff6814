// Command-line grammar of `scimx`: options (node:util parseArgs) and help texts.
import type { ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

export const GLOBAL_OPTIONS = {
  config: { type: 'string', short: 'c' },
  profile: { type: 'string', short: 'p' },
  json: { type: 'boolean' },
  har: { type: 'string' },
  curl: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const satisfies Options;

/** Flags that build a profile without a file. `insecure` and `timeout-ms` also override a file's profile. */
export const PROFILE_OPTIONS = {
  'base-url': { type: 'string' },
  user: { type: 'string' },
  'password-env': { type: 'string' },
  'bearer-env': { type: 'string' },
  'subscription-key-env': { type: 'string' },
  'key-header': { type: 'string' },
  'key-query': { type: 'string' },
  'send-key-as': { type: 'string' },
  header: { type: 'string', multiple: true },
  insecure: { type: 'boolean' },
  'timeout-ms': { type: 'string' },
} as const satisfies Options;

export const COMMAND_OPTIONS = {
  discover: {
    refresh: { type: 'boolean' },
  },
  list: {
    filter: { type: 'string' },
    attributes: { type: 'string' },
    'excluded-attributes': { type: 'string' },
    all: { type: 'boolean' },
    count: { type: 'string' },
    'start-index': { type: 'string' },
    cursor: { type: 'string' },
    'max-pages': { type: 'string' },
  },
  get: {
    attributes: { type: 'string' },
    'excluded-attributes': { type: 'string' },
  },
  members: {
    mode: { type: 'string' },
    from: { type: 'string' },
    ids: { type: 'boolean' },
  },
  probe: {},
  send: {
    name: { type: 'string' },
    'keep-going': { type: 'boolean' },
  },
  create: {
    template: { type: 'boolean' },
  },
  delete: {
    yes: { type: 'boolean', short: 'y' },
  },
  compat: {
    as: { type: 'string' },
    yes: { type: 'boolean', short: 'y' },
  },
  sandbox: {},
  edit: { 'dry-run': { type: 'boolean' } },
  apply: { 'dry-run': { type: 'boolean' } },
} as const satisfies Record<string, Options>;

export type CommandName = keyof typeof COMMAND_OPTIONS;
export const COMMANDS = Object.keys(COMMAND_OPTIONS) as CommandName[];

export function isCommand(s: string): s is CommandName {
  return (COMMANDS as string[]).includes(s);
}

/** Every option any command knows, for finding the command word before the strict parse. */
export const ALL_OPTIONS: Options = Object.values(COMMAND_OPTIONS).reduce<Options>((all, o) => ({ ...all, ...o }), { ...GLOBAL_OPTIONS, ...PROFILE_OPTIONS });

/** The commands that know an option (for "--filter is an option of list"). */
export function commandsWithOption(name: string): CommandName[] {
  return COMMANDS.filter((c) => name in COMMAND_OPTIONS[c]);
}

const GLOBAL_HELP = `Usage: scimx [--config FILE] [--profile NAME] [--json] [--har FILE] COMMAND [ARGS]

Browse a SCIM 2.0 service through its API gateway, change group membership safely, probe the gateway.

Commands:
  discover [--refresh]                  ServiceProviderConfig, resource types and schemas
  list TYPE [--filter F] [--attributes A] [--all] [--count N]
                                        list resources (TYPE: Users, users, Groups, or a resource type name)
  get TYPE ID|NAME                      one resource, as JSON
  members add|remove GROUP USER...      [--mode auto|patch|put] [--ids]
                                        add or remove members, verified afterwards
  members restore|undo [--from ENTRY]   put back members a change lost / reverse a change
  members journal                       the last membership changes of the profile
  probe                                 non-destructive check of every method through the gateway
  edit TYPE ID|NAME [--dry-run]         edit a resource in $VISUAL/$EDITOR, saved as a minimal PATCH, verified
  apply TYPE ID|NAME FILE [--dry-run]   make a resource as FILE says, with the minimal PATCH, verified
  create TYPE FILE | --template         create a resource from a JSON file, read back and compared
  delete TYPE ID|NAME [--yes]           delete a resource (asks first), checked with a GET that must answer 404
  compat [--as entra|okta|sap-ips|oneim|all] [--yes]
                                        send what provisioning connectors send, on scratch resources, and judge it
  send FILE [--name N]                  send the requests of a request file (*.scim) through the profile
  sandbox [OPTIONS]                     start the local SCIM service behind an APIM-like gateway

Options:
  -c, --config FILE     profiles file (default ./scim-profiles.yaml when present, or $SCIMX_CONFIG)
  -p, --profile NAME    profile in the file (not needed when it has one; or $SCIMX_PROFILE)
      --json            print machine-readable results (one JSON document on stdout)
      --har FILE        write every exchange of the run to FILE as HAR 1.2 (secrets masked)
      --curl            print every exchange of the run as a curl command on stderr (secrets as $VARIABLES)
  -h, --help            help (also: scimx COMMAND --help)
  -V, --version         print the version

Without a profiles file, flags build a profile:
  --base-url URL                 SCIM base URL through the gateway
  --user NAME --password-env VAR basic auth, the password read from environment variable VAR
  --bearer-env VAR               bearer token from environment variable VAR
  --subscription-key-env VAR     gateway subscription key from environment variable VAR
  --key-header NAME              key header name (default Ocp-Apim-Subscription-Key)
  --key-query NAME               key query parameter name (default subscription-key)
  --send-key-as header|query|both
  --header "Name: value"         extra header on every request (repeatable)
  --insecure                     accept any TLS certificate
  --timeout-ms N                 request timeout (also overrides a file's profile)

What scimx learns about a provider (discovery, its quirks, members seen) is kept per profile origin and base path
in $SCIMX_CACHE_DIR, else $XDG_CACHE_HOME/scimx, else ~/.cache/scimx (no secrets; SCIMX_CACHE_DIR=off keeps none).

Exit codes: 0 success, 1 the operation failed, 2 usage or configuration error, 130 cancelled.
`;

const COMMAND_HELP: Record<CommandName, string> = {
  discover: `Usage: scimx [GLOBAL OPTIONS] discover [--refresh]

Reads ServiceProviderConfig, ResourceTypes and Schemas and prints the capabilities the client will use
(PATCH, ETags, filter, paging) and the resource types with their endpoints.

Discovery is kept in the provider cache for 24 h, or the profile's discoveryMaxAgeHours (then asked again,
with If-None-Match where the service gave ETags), so a warm profile sends no discovery request; discover then
says how old its copy is.

      --refresh   forget what was learnt of the provider (discovery, quirks) and ask the service again
`,
  list: `Usage: scimx [GLOBAL OPTIONS] list TYPE [--filter F] [--attributes A] [--excluded-attributes A] [--all] [--count N]

TYPE        Users, users, Groups, groups, or a resource type name/endpoint from discovery
--filter F  SCIM filter, e.g. 'userName sw "a"'
--attributes A, --excluded-attributes A
            comma-separated attribute names (Groups are listed without members unless asked)
--all       follow every page (server's totalResults / nextCursor), printed page by page as they come;
            stops after --max-pages pages (default 10000; exit 1 when the default stopped it) and says how
            to continue
--count N   page size asked for (the server may cap it); without --all, one page of N
--start-index N, --cursor C
            start at this index, or at this cursor (RFC 9865), e.g. to continue a listing that stopped
--max-pages N
            with --all: most pages read (1 to 1000000, default 10000)
`,
  get: `Usage: scimx [GLOBAL OPTIONS] get TYPE ID|NAME [--attributes A] [--excluded-attributes A]

Prints one resource as JSON. A user is found by id, userName or displayName, a group by id or displayName
(one filtered read; a name several resources share is refused, listing them). A group is read without its
member list: --attributes members reads it.
`,
  members: `Usage: scimx [GLOBAL OPTIONS] members add|remove GROUP USER... [--mode auto|patch|put] [--ids]
       scimx [GLOBAL OPTIONS] members restore [--from ENTRY]
       scimx [GLOBAL OPTIONS] members undo [--from ENTRY]
       scimx [GLOBAL OPTIONS] members journal

GROUP is a group's id or displayName, each USER a user's id, userName or displayName (one filtered read
for all of them; a name several share is refused, listing them; a value that matches nothing is used as an id).
Ids the client has read before (the group, its members seen) are not looked up; --ids takes every value as an
id and looks nothing up (a change then costs its read before, its writes and its read after: 3 requests for one
member on a warm profile).

Adds or removes members of a group. PATCH when the provider supports it; PUT read-modify-write that keeps
every other member otherwise (--mode auto, the profile's default). No write carries attributes or
excludedAttributes. The result is read back: the change itself, and the members it did not name (every one
where the group is small or was read whole, else a sample of at least 20, in the same request). "verified"
only when both hold. Exit code 1 when any change is missing or any other member was lost: the lost ones are
named, and nothing more is sent.

Every change is recorded in a local journal (no secrets): $SCIMX_STATE_DIR, else $XDG_STATE_HOME/scimx, else
~/.local/state/scimx (macOS: ~/Library/Application Support/scimx; Windows: %LOCALAPPDATA%\\scimx); the last
1,000 changes or 50 MB. "restore" re-adds exactly the members a change lost (the newest change of the profile
that lost any, or --from ENTRY), verified the same way; "undo" reverses a change (the newest, or --from ENTRY):
removes what it added, adds back what it removed. "journal" lists the last 20 entries.
`,
  probe: `Usage: scimx [GLOBAL OPTIONS] probe

Non-destructive: sends GET, POST, PUT, PATCH and DELETE requests the gateway must judge (on an id that does
not exist) and prints, per method, where the key was sent, which custom headers were sent, who answered
(gateway or SCIM backend), the status and a verdict. Exit code 1 when any method fails.
`,
  send: `Usage: scimx [GLOBAL OPTIONS] send FILE [--name N] [--keep-going]

Sends the requests of a request file (*.scim) through the profile, in order, and prints each answer: status,
headers (secrets masked) and body. A request file holds one request per block:

  ### list users                      a block starts with ###; text after it names the block
  GET Users?filter=userName sw "a"    METHOD and a path relative to the profile's base URL
  If-Match: W/"3"                     header lines, then a blank line
                                      and a JSON body (up to the next ###)

Lines starting with # or // before the request line are comments ("# @name NAME" also names the block). The
profile adds the gateway key, its headers and its auth to every request; a block's own Authorization, key
header, key query parameter, the profile's headers and Accept/Content-Type/User-Agent are not sent (said as a
warning, values masked). An absolute URL must be on the profile's origin and under its base URL: otherwise
nothing is sent. A PUT or PATCH that changes a group's members is sent as written, with the membership check
of "scimx members" around it: the group is read before and after, members it did not name that are gone are
named (exit 1), and the change is journaled ("scimx members restore" puts back what it lost).

--name N      only the request named N (or the Nth request, counted from 1)
--keep-going  send the rest after a request that failed (default: stop there)

Exit code 0 when every request answered 2xx (and every membership check passed), 1 otherwise, 2 when the
file is wrong (FILE:LINE:COLUMN: what is wrong; nothing is sent).
`,
  edit: `Usage: scimx [GLOBAL OPTIONS] edit TYPE ID|NAME [--dry-run]

Reads the resource (a group with its members) and opens it as JSON in $VISUAL, else $EDITOR, else vi. When the
editor exits, the change is sent as it is for "apply": see "scimx apply --help". Unchanged: nothing is sent.
`,
  apply: `Usage: scimx [GLOBAL OPTIONS] apply TYPE ID|NAME FILE [--dry-run]

FILE holds the resource as it should be (JSON). The change from the resource as read now is sent as the minimal
RFC 7644 PatchOp: replace/add/remove by attribute path, value filters for multi-valued attributes
(emails[type eq "work"].value; when no sub-attribute tells the elements apart, the whole attribute is replaced
and a note says so), URN paths for extensions. Attribute names are matched without case. Attributes FILE leaves
out are removed, except readOnly and immutable ones (id, meta, groups) and a group's members, which are kept.

- readOnly and immutable attributes (per /Schemas mutability) that FILE changes are refused, named: nothing is sent.
- A group's members go through the membership path (checked before and after, journaled, never a replace).
- If-Match with the version read when the service gives ETags; without, the resource is read again right
  before the write. A change by someone else meanwhile (412, or another version) is a conflict: nothing is
  overwritten, exit 1, and the version read, yours and the server's now are written to files to compare.
- Services without PATCH (patch.supported false, or writes: put) get a PUT of the whole resource, readOnly
  attributes left out, a group's members as read.
- The resource is read back: every changed attribute must read as sent, and nothing else may have changed;
  otherwise exit 1 (NOT verified, naming the attributes).

--dry-run   print what would be sent (the PatchOp or PUT body, the member changes) and send nothing
`,
  create: `Usage: scimx [GLOBAL OPTIONS] create TYPE FILE
       scimx [GLOBAL OPTIONS] create TYPE --template

Creates a resource (TYPE: Users, Groups, or a resource type name) from FILE, one JSON object, with a POST through
the profile's pipeline. Required attributes (per the service's /Schemas) left empty are refused before anything is
sent. The new resource is read back by its id and every attribute sent is compared with what is stored: "verified"
only when all are there (exit 1 otherwise, naming what differs). --template prints a body to fill in, built from
the service's /Schemas (RFC 7643's core schemas when it offers none).
`,
  delete: `Usage: scimx [GLOBAL OPTIONS] delete TYPE ID|NAME [--yes]

Deletes one resource. A user is found by id, userName or displayName, a group by id or displayName (as "get").
It is read first and the question names it; --yes answers it (needed when not in a terminal: without a terminal
and without --yes nothing is deleted). Afterwards a GET must answer 404: "verified" only then (exit 1 otherwise).
`,
  compat: `Usage: scimx [GLOBAL OPTIONS] compat [--as entra|okta|sap-ips|oneim|all] [--yes]

Connector check before go-live. Creates scratch users and groups named scimx-compat-<random>-…, sends to them the
requests each connector is documented to send for user create, update and deactivate, group create and membership
add and remove (Microsoft Entra ID's PATCH forms, its non-standard ones included; Okta's; SAP Identity
Provisioning's PUTs; One Identity Manager's GET then PUT of the whole group), and prints per request: did the
gateway let it through, what the SCIM service answered (status, scimType), and whether a re-read shows the state
the request meant (a membership write must also leave the other scratch member alone). Each row names its
exchange: --har FILE writes them all (each HAR entry carries its _exchangeId), --json gives the whole report.
The scratch resources are deleted afterwards, even when a step fails or the run is cancelled, each delete checked
by a GET that must answer 404; any left behind is named.
Asks before sending anything; --yes answers (needed when not in a terminal). Exit code 1 when any step fails.
`,
  sandbox: `Usage: scimx sandbox [SANDBOX OPTIONS]

Starts the local SCIM service provider behind an APIM-like gateway on 127.0.0.1 (run "scimx sandbox --help"
for its own options). Stop it with Ctrl-C.
`,
};

export function globalHelp(): string {
  return GLOBAL_HELP;
}

export function commandHelp(command: CommandName): string {
  return COMMAND_HELP[command];
}
