// Paths of the read-only `scim:` documents (no `vscode` import, unit-tested). The editor tab shows the path's
// last segment, so a resource's path ends in its name (displayName / userName), not its id:
//   /<profile>/<endpoint>/<id>/<name>.json      a resource (the id decides what is read; the name is the tab's)
//   /<profile>/<ServiceProviderConfig|ResourceTypes|Schemas>.json

export type DocTarget =
  | { kind: 'resource'; profile: string; endpoint: string; id: string }
  | { kind: 'service'; profile: string; doc: string };

/** A name fit for a tab: one line, no path separators, not empty. */
export function tabName(name: string | undefined, id: string): string {
  const clean = (name ?? '').replace(/[\\/\r\n\t]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 80);
  return clean || id;
}

export function resourcePath(profile: string, endpoint: string, id: string, name?: string): string {
  const seg = encodeURIComponent;
  return `/${seg(profile)}/${seg(endpoint.replace(/^\/+/, ''))}/${seg(id)}/${seg(tabName(name, id))}.json`;
}

export function serviceDocPath(profile: string, doc: string): string {
  return `/${encodeURIComponent(profile)}/${doc}.json`;
}

export function parseDocPath(path: string): DocTarget {
  const parts = path.replace(/^\//, '').replace(/\.json$/, '').split('/').map(decodeURIComponent);
  const [profile = '', a = '', b] = parts;
  if (b === undefined) return { kind: 'service', profile, doc: a };
  return { kind: 'resource', profile, endpoint: a, id: b };
}
