// Request files (`*.scim`): SCIM requests a person keeps in a repository and sends through a profile.
//
// The format follows REST Client's `.http` files where it can, so it reads familiar:
//
//     ### list users                       <- `###` starts a block; text after it names the block
//     GET Users?filter=userName sw "a"     <- METHOD and a path relative to the profile's base URL
//     If-None-Match: W/"1"                 <- header lines
//                                          <- a blank line
//     { "schemas": [...] }                 <- a JSON body (up to the next `###`)
//
// Before the request line, lines starting with `#` or `//` are comments; `# @name NAME` (or `// @name NAME`)
// also names the block, as REST Client's does. A line right after the request line that starts with `?` or `&`
// continues its query. An absolute URL is parsed here and judged when sent: it must be on the profile's own
// origin (credentials go there and nowhere else). No variables: the profile gives the base URL and credentials.
//
// No library parses this format on its own: REST Client's parser lives inside the extension, httpyac's inside
// its runtime (its own HTTP client, scripts, variables); so this is a small parser, property-tested
// (test/unit/request-file-fuzz.test.ts). The JSON body is parsed by jsonc-parser (strict JSON: no comments, no
// trailing commas), which gives the offset of every error. Every problem carries a 1-based line and column.
import { parse as parseJson, printParseErrorCode, type ParseError } from 'jsonc-parser';
import type { HttpMethod } from '../http/types';

export const REQUEST_FILE_EXTENSION = '.scim';
export const METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

export interface RequestProblem {
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  message: string;
}

export interface RequestHeader {
  name: string;
  value: string;
  line: number;
}

export interface RequestBlock {
  /** 0-based position among the file's blocks. */
  index: number;
  /** From `### name` or `# @name name`. */
  name?: string;
  method: HttpMethod;
  /** The target as written (query continuation lines joined): a path relative to the base URL, or absolute. */
  target: string;
  headers: RequestHeader[];
  body?: { text: string; json: unknown; line: number };
  /** 1-based lines: the block's first line (its `###` separator when it has one) and its last line. */
  startLine: number;
  endLine: number;
  /** 1-based line of the request line. */
  requestLine: number;
  /** Problems of this block: a block with any is not sent. */
  problems: RequestProblem[];
}

export interface RequestFile {
  blocks: RequestBlock[];
  /** Every problem of the file (the blocks' own, and text that belongs to no request). */
  problems: RequestProblem[];
}

const SEPARATOR = /^\s*###(.*)$/;
const NAME_DIRECTIVE = /^\s*(?:#|\/\/)\s*@name\s+(\S.*?)\s*$/;
const COMMENT = /^\s*(#|\/\/)/;
/** RFC 9110 §5.6.2 token. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const ABSOLUTE = /^[a-z][a-z0-9+.-]*:/i;

/** Splits text into lines without their line ends (`\r\n`, `\n` or `\r`). */
function lines(text: string): string[] {
  return text.split(/\r\n|\n|\r/);
}

/** Parses a whole request file. Never throws: what is wrong is in `problems`, each with its line and column. */
export function parseRequestFile(text: string): RequestFile {
  const all = lines(text.startsWith('\uFEFF') ? text.slice(1) : text);
  const blocks: RequestBlock[] = [];
  const problems: RequestProblem[] = [];
  // Block boundaries: each `###` line starts one; text before the first is a block too (a file of one request).
  const starts: Array<{ line: number; name?: string }> = [{ line: 0 }];
  for (let i = 0; i < all.length; i++) {
    const m = SEPARATOR.exec(all[i] as string);
    if (!m) continue;
    const name = (m[1] ?? '').trim().replace(/^#+\s*/, '');
    if (i === 0) starts[0] = { line: 0, name: name || undefined };
    else starts.push({ line: i, name: name || undefined });
  }
  const names = new Map<string, number>();
  for (let b = 0; b < starts.length; b++) {
    const start = starts[b] as { line: number; name?: string };
    const end = b + 1 < starts.length ? (starts[b + 1] as { line: number }).line : all.length;
    const block = parseBlock(all, start.line, end, start.name, blocks.length);
    if (!block) continue;
    if (block.name !== undefined) {
      const seen = names.get(block.name.toLowerCase());
      if (seen !== undefined) block.problems.push({ line: block.startLine, column: 1, message: `Another request is already named "${block.name}" (line ${seen}); names must be unique in a file.` });
      else names.set(block.name.toLowerCase(), block.startLine);
    }
    blocks.push(block);
    problems.push(...block.problems);
  }
  return { blocks, problems };
}

function parseBlock(all: string[], from: number, to: number, sepName: string | undefined, index: number): RequestBlock | undefined {
  const problems: RequestProblem[] = [];
  let name = sepName;
  let i = SEPARATOR.test(all[from] ?? '') ? from + 1 : from;
  // Preamble: blank lines, comments, @name.
  for (; i < to; i++) {
    const line = all[i] as string;
    if (!line.trim()) continue;
    const directive = NAME_DIRECTIVE.exec(line);
    if (directive) {
      name = directive[1];
      continue;
    }
    if (COMMENT.test(line)) continue;
    break;
  }
  if (i >= to) return undefined; // nothing but comments: not a request
  const requestLine = i + 1;
  const raw = all[i] as string;
  const lead = raw.length - raw.trimStart().length;
  const m = /^(\S+)(?:\s+(.*?))?\s*$/.exec(raw.trimStart());
  const word = m?.[1] ?? '';
  let target = (m?.[2] ?? '').replace(/\s+HTTP\/\d(?:\.\d)?$/i, '');
  const method = word.toUpperCase() as HttpMethod;
  const block: RequestBlock = {
    index, name, method, target, headers: [], startLine: from + 1, endLine: Math.max(from + 1, lastContentLine(all, from, to) + 1), requestLine, problems,
  };
  if (!METHODS.includes(method)) {
    const hint = ABSOLUTE.test(word) || word.startsWith('/') || /^[A-Z][A-Za-z]+(\/|\?|$)/.test(word)
      ? ` (a request line is METHOD PATH, e.g. "GET ${word}")` : ` (a request line is METHOD PATH, e.g. "GET Users"; METHOD is one of ${METHODS.join(', ')})`;
    problems.push({ line: requestLine, column: lead + 1, message: `"${clip(word)}" is not a method${hint}.` });
    block.method = 'GET';
  }
  if (!target) problems.push({ line: requestLine, column: lead + word.length + 1, message: `${word} needs a path: e.g. "${METHODS.includes(method) ? method : 'GET'} Users", relative to the profile's base URL.` });
  else {
    const bad = firstControl(target);
    if (bad >= 0) problems.push({ line: requestLine, column: raw.indexOf(target) + bad + 1, message: 'The path has a control character.' });
  }
  i += 1;
  // Query continuation lines (`?a=b`, `&c=d`), as REST Client allows.
  for (; i < to && /^\s*[?&]/.test(all[i] as string); i++) target += (all[i] as string).trim();
  block.target = target;
  // Headers, up to a blank line.
  for (; i < to; i++) {
    const line = all[i] as string;
    if (!line.trim()) break;
    if (COMMENT.test(line)) continue;
    const colon = line.indexOf(':');
    const headerName = colon > 0 ? line.slice(0, colon).trim() : '';
    if (colon <= 0 || !TOKEN.test(headerName)) {
      const looksLikeBody = /^\s*[{[]/.test(line);
      problems.push({
        line: i + 1, column: 1,
        message: looksLikeBody
          ? 'A body must follow a blank line after the headers.'
          : `Expected a header "Name: value" or a blank line before the body, got "${clip(line.trim())}".`,
      });
      if (looksLikeBody) break; // read the body anyway, for its own problems
      continue;
    }
    const value = line.slice(colon + 1).trim();
    const bad = firstControl(value);
    if (bad >= 0) problems.push({ line: i + 1, column: line.indexOf(value) + bad + 1, message: `Header ${headerName} has a control character in its value.` });
    block.headers.push({ name: headerName, value, line: i + 1 });
  }
  // Body: everything up to the block's end, without blank lines around it.
  let bodyFrom = i;
  while (bodyFrom < to && !(all[bodyFrom] as string).trim()) bodyFrom++;
  let bodyTo = to;
  while (bodyTo > bodyFrom && !(all[bodyTo - 1] as string).trim()) bodyTo--;
  if (bodyFrom < bodyTo) {
    const text = all.slice(bodyFrom, bodyTo).join('\n');
    const errors: ParseError[] = [];
    const json: unknown = parseJson(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    for (const e of errors.slice(0, 3)) {
      const at = position(text, e.offset);
      problems.push({ line: bodyFrom + 1 + at.line, column: at.column + 1, message: `The body is not JSON: ${describeJsonError(printParseErrorCode(e.error))}.` });
    }
    block.body = { text, json, line: bodyFrom + 1 };
  }
  return block;
}

function lastContentLine(all: string[], from: number, to: number): number {
  for (let i = to - 1; i > from; i--) if ((all[i] as string).trim()) return i;
  return from;
}

/** 0-based line and column of an offset in text whose lines end with `\n`. */
function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const nl = before.lastIndexOf('\n');
  return { line: before.split('\n').length - 1, column: before.length - (nl + 1) };
}

function describeJsonError(code: string): string {
  const words: Record<string, string> = {
    InvalidSymbol: 'unexpected character', InvalidNumberFormat: 'invalid number', PropertyNameExpected: 'a property name (in double quotes) was expected',
    ValueExpected: 'a value was expected', ColonExpected: 'a colon was expected', CommaExpected: 'a comma was expected',
    CloseBraceExpected: 'a closing } was expected', CloseBracketExpected: 'a closing ] was expected', EndOfFileExpected: 'the JSON ended but more text follows',
    InvalidCommentToken: 'comments are not allowed in JSON', UnexpectedEndOfComment: 'unterminated comment', UnexpectedEndOfString: 'unterminated string',
    UnexpectedEndOfNumber: 'unterminated number', InvalidUnicode: 'invalid \\u escape', InvalidEscapeCharacter: 'invalid escape character', InvalidCharacter: 'invalid character in a string',
  };
  return words[code] ?? code;
}

function firstControl(s: string): number {
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c < 0x20 && c !== 0x09) return k;
    if (c === 0x7f) return k;
  }
  return -1;
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** The blocks `--name N` picks: a block's name (case-insensitive), else a 1-based position. */
export function selectBlocks(file: RequestFile, name?: string): RequestBlock[] {
  if (name === undefined) return file.blocks;
  const byName = file.blocks.filter((b) => b.name !== undefined && b.name.toLowerCase() === name.trim().toLowerCase());
  if (byName.length) return byName;
  if (/^\d+$/.test(name.trim())) {
    const b = file.blocks[Number(name.trim()) - 1];
    if (b) return [b];
  }
  return [];
}

/** `GET Users` / `list users: GET Users`, for titles and output. */
export function blockLabel(b: Pick<RequestBlock, 'name' | 'method' | 'target' | 'index'>): string {
  return `${b.name ?? `#${b.index + 1}`}: ${b.method} ${b.target}`;
}

/** A problem as `FILE:LINE:COLUMN: message`. */
export function formatRequestProblem(file: string, p: RequestProblem): string {
  return `${file}:${p.line}:${p.column}: ${p.message}`;
}

export { ABSOLUTE as ABSOLUTE_URL };
