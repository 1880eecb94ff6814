// What the request files' registration (./index.ts) and their chunk (./ui.ts) share.
import type * as vscode from 'vscode';
import type { SendResult } from '../../core/request-files/send';
import type { Clients } from '../session';
import type { ActiveProfile } from '../status';

export const LANGUAGE = 'scim';
export const RESPONSE_SCHEME = 'scim-response';
/** What the commands of this area (../commands/request-files.ts) call. */
export interface RequestFiles {
  /** Sends one request of a file (`index`), or the one under the cursor of the active editor; undefined when
   * nothing was sent. */
  send(uri?: unknown, index?: unknown): Promise<SendResult[] | undefined>;
  /** Sends every request of a file, in order, stopping at the first that fails. */
  sendAll(uri?: unknown): Promise<SendResult[] | undefined>;
}

export interface RequestFileDeps {
  clients: Clients;
  status: ActiveProfile;
  log: vscode.LogOutputChannel;
}

/** A `*.scim` document (not one of the answers shown beside it). */
export function isRequestFile(d: vscode.TextDocument): boolean {
  return (d.languageId === LANGUAGE || d.uri.path.endsWith('.scim')) && d.uri.scheme !== RESPONSE_SCHEME;
}
