// What the editor of a request file (`*.scim`) offers, without `vscode` (unit-tested): where the "Send" lenses
// go, and what to complete at a position: resource paths on a request line (from /ResourceTypes), attribute
// names in a JSON body (from the cached /Schemas), PatchOp keys, operations and paths.
import { getLocation, type Location } from 'jsonc-parser';
import { METHODS, type RequestBlock, type RequestFile } from '../../core/request-files/parse';
import type { ResourceTypeInfo } from '../../core/scim/types';

export interface Lens {
  /** 0-based line of the request line. */
  line: number;
  index: number;
  title: string;
  /** The block has problems: the lens says so instead of sending. */
  problem?: string;
}

export function lensesFor(file: RequestFile): Lens[] {
  return file.blocks.map((b) => {
    const p = b.problems[0];
    return p
      ? { line: b.requestLine - 1, index: b.index, title: `$(warning) ${p.line}:${p.column} ${p.message}`, problem: p.message }
      : { line: b.requestLine - 1, index: b.index, title: `$(play) Send${b.name ? ` "${b.name}"` : ''}` };
  });
}

/** The block that holds a 0-based line, for "send the request under the cursor". */
export function blockAtLine(file: RequestFile, line: number): RequestBlock | undefined {
  return file.blocks.find((b) => line + 1 >= b.startLine && line + 1 <= b.endLine) ?? file.blocks.filter((b) => b.startLine <= line + 1).at(-1);
}

export interface CompletionEntry {
  label: string;
  kind: 'method' | 'path' | 'property' | 'value';
  detail?: string;
  /** Text inserted (default: label). */
  insert?: string;
}

/** Discovery as the completion needs it: resource types and the raw /Schemas documents. */
export interface SchemaSource {
  resourceTypes: ResourceTypeInfo[];
  schemas: Array<Record<string, unknown>>;
}

const SERVICE_DOCS = ['ServiceProviderConfig', 'ResourceTypes', 'Schemas'];
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

type Where =
  | { at: 'method' }
  | { at: 'path'; typed: string }
  | { at: 'body'; block: RequestBlock; offset: number; text: string }
  | { at: 'none' };

/** What a position (0-based line and character) in a request file is. */
export function whereIs(file: RequestFile, lines: string[], line: number, character: number): Where {
  const block = file.blocks.find((b) => b.requestLine - 1 === line);
  const text = lines[line] ?? '';
  if (block) {
    const before = text.slice(0, character);
    const m = /^\s*(\S+)(\s+)(.*)$/.exec(before);
    if (!m) return { at: 'method' };
    return { at: 'path', typed: m[3] ?? '' };
  }
  const body = file.blocks.find((b) => b.body && line + 1 >= b.body.line && line + 1 <= b.endLine);
  if (body?.body) {
    const rel = line + 1 - body.body.line;
    const bodyLines = body.body.text.split('\n');
    let offset = 0;
    for (let i = 0; i < rel && i < bodyLines.length; i++) offset += (bodyLines[i] as string).length + 1;
    return { at: 'body', block: body, offset: offset + Math.min(character, (bodyLines[rel] ?? '').length), text: body.body.text };
  }
  // a line that could start a request: after a separator or at the top, before any request line
  if (/^\s*[A-Za-z]*$/.test(text.slice(0, character)) && !file.blocks.some((b) => line + 1 > b.requestLine && line + 1 <= b.endLine)) return { at: 'method' };
  return { at: 'none' };
}

export function methodCompletions(): CompletionEntry[] {
  return METHODS.map((m) => ({ label: m, kind: 'method', insert: `${m} ` }));
}

/** Resource paths: the endpoints of /ResourceTypes and the discovery documents. */
export function pathCompletions(src: SchemaSource | undefined, typed: string): CompletionEntry[] {
  if (typed.includes('/') || typed.includes('?')) return [];
  const out: CompletionEntry[] = [];
  for (const rt of src?.resourceTypes ?? [{ id: 'User', name: 'User', endpoint: 'Users', schema: '' }, { id: 'Group', name: 'Group', endpoint: 'Groups', schema: '' }]) {
    out.push({ label: rt.endpoint.replace(/^\/+/, ''), kind: 'path', detail: `${rt.name}${rt.schema ? ` (${rt.schema})` : ''}` });
  }
  for (const d of SERVICE_DOCS) out.push({ label: d, kind: 'path', detail: 'discovery document' });
  return out;
}

interface Attribute {
  name: string;
  type?: string;
  multiValued?: boolean;
  description?: string;
  mutability?: string;
  subAttributes?: Attribute[];
  canonicalValues?: unknown[];
}

function attributesOf(schema: Record<string, unknown> | undefined): Attribute[] {
  const raw = schema?.attributes;
  return Array.isArray(raw) ? raw.filter((a): a is Attribute => !!a && typeof a === 'object' && typeof (a as Attribute).name === 'string') : [];
}

function schemaById(src: SchemaSource, id: string): Record<string, unknown> | undefined {
  return src.schemas.find((s) => typeof s.id === 'string' && s.id.toLowerCase() === id.toLowerCase());
}

/** The resource type a block's path is about (its first segment), if discovery names it. */
export function resourceTypeOf(src: SchemaSource, block: Pick<RequestBlock, 'target'>): ResourceTypeInfo | undefined {
  const path = block.target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]+/i, '').split('?')[0] ?? '';
  const segs = path.split('/').filter(Boolean);
  return src.resourceTypes.find((rt) => segs.some((s) => s.toLowerCase() === rt.endpoint.replace(/^\/+/, '').toLowerCase()));
}

/** Extension schemas a resource type may carry: those /ResourceTypes names, else every non-core schema. */
function extensionIds(src: SchemaSource, rt: ResourceTypeInfo): string[] {
  return src.schemas.map((s) => (typeof s.id === 'string' ? s.id : '')).filter((id) => id && id !== rt.schema && /:extension:/i.test(id));
}

function describe(a: Attribute): string {
  const type = `${a.type ?? 'attribute'}${a.multiValued ? '[]' : ''}`;
  return `${type}${a.mutability && a.mutability !== 'readWrite' ? `, ${a.mutability}` : ''}`;
}

/** Attribute names (and PatchOp keys, ops and paths) at an offset of a JSON body. */
export function bodyCompletions(src: SchemaSource | undefined, block: RequestBlock, text: string, offset: number): CompletionEntry[] {
  const loc: Location = getLocation(text, offset);
  const path = loc.path;
  const isPatch = block.method === 'PATCH' || text.includes(PATCH_OP);
  const rt = src ? resourceTypeOf(src, block) : undefined;
  if (isPatch) {
    if (path.length === 1 && loc.isAtPropertyKey) return ['schemas', 'Operations'].map((k) => ({ label: k, kind: 'property' }));
    if (path[0] === 'Operations' && path.length === 3 && loc.isAtPropertyKey) return ['op', 'path', 'value'].map((k) => ({ label: k, kind: 'property' }));
    if (path[0] === 'Operations' && path.length === 3 && path[2] === 'op') return ['add', 'remove', 'replace'].map((k) => ({ label: k, kind: 'value' }));
    if (path[0] === 'Operations' && path.length === 3 && path[2] === 'path' && src && rt) return attributePaths(src, rt);
    if (path[0] === 'Operations' && path[2] === 'value' && src && rt) return propertyCompletions(src, rt, path.slice(3, loc.isAtPropertyKey ? -1 : undefined), loc.isAtPropertyKey);
    return [];
  }
  if (!src || !rt) return path.length === 1 && loc.isAtPropertyKey ? [{ label: 'schemas', kind: 'property' }] : [];
  return propertyCompletions(src, rt, loc.isAtPropertyKey ? path.slice(0, -1) : path, loc.isAtPropertyKey);
}

function propertyCompletions(src: SchemaSource, rt: ResourceTypeInfo, parent: Array<string | number>, atKey: boolean): CompletionEntry[] {
  if (!atKey) return [];
  const names = parent.filter((p): p is string => typeof p === 'string');
  if (!names.length) {
    const core = attributesOf(schemaById(src, rt.schema)).map((a) => ({ label: a.name, kind: 'property' as const, detail: describe(a) }));
    const ext = extensionIds(src, rt).map((id) => ({ label: id, kind: 'property' as const, detail: 'extension schema' }));
    return [{ label: 'schemas', kind: 'property', detail: 'string[]' }, ...core, ...ext];
  }
  const [first, ...rest] = names as [string, ...string[]];
  const ext = schemaById(src, first);
  let attrs = ext ? attributesOf(ext) : attributesOf(schemaById(src, rt.schema));
  const walk = ext ? rest : names;
  for (const n of walk) {
    const a = attrs.find((x) => x.name.toLowerCase() === n.toLowerCase());
    attrs = a?.subAttributes ?? [];
  }
  return attrs.map((a) => ({ label: a.name, kind: 'property', detail: describe(a) }));
}

/** PATCH paths: every attribute and sub-attribute (`name.givenName`, `emails[type eq "work"].value`). */
function attributePaths(src: SchemaSource, rt: ResourceTypeInfo): CompletionEntry[] {
  const out: CompletionEntry[] = [];
  const add = (prefix: string, attrs: Attribute[]) => {
    for (const a of attrs) {
      if (a.mutability === 'readOnly') continue;
      out.push({ label: `${prefix}${a.name}`, kind: 'value', detail: describe(a) });
      for (const s of a.subAttributes ?? []) if (s.mutability !== 'readOnly') out.push({ label: `${prefix}${a.name}.${s.name}`, kind: 'value', detail: describe(s) });
    }
  };
  add('', attributesOf(schemaById(src, rt.schema)));
  for (const id of extensionIds(src, rt)) add(`${id}:`, attributesOf(schemaById(src, id)));
  return out;
}
