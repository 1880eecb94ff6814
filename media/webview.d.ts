// Types of the trace webview (media/trace.js, media/trace-view.js: `// @ts-check`, type-checked by
// media/tsconfig.json). The messages are the ones the host sends and accepts (src/extension/trace-protocol.ts).
type HostMessage = import('../src/extension/trace-protocol').HostMessage;
type WebviewMessage = import('../src/extension/trace-protocol').WebviewMessage;
type OpRow = import('../src/extension/trace-protocol').OpRow;
/** An exchange row; the list caches the path as shown on the row object. */
type ExRow = import('../src/extension/trace-protocol').ExRow & { shownPath?: string };
type DetailMessage = Extract<HostMessage, { type: 'detail' }>;
type ProbeMessage = Extract<HostMessage, { type: 'probe' }>;
type TraceExchange = DetailMessage['exchange'];
type HeaderList = TraceExchange['request']['headers'];
/** A diagnosis as the banner shows it (a trace diagnosis, or the one a server-chosen location makes). */
type Banner = NonNullable<TraceExchange['diagnosis']>;
/** An exchange as the detail view draws it: header names to highlight (lower case) map to a CSS class. */
type ShownExchange = DetailMessage & { highlightReq?: Record<string, string>; highlightRes?: Record<string, string> };

/** One row of the virtual list: an operation, or one of its exchanges. */
type ListRow = { kind: 'op'; id: string; op: OpRow; count: number } | { kind: 'ex'; id: string; ex: ExRow; op: OpRow };
interface ViewState {
  focusIndex: number;
  selectedId: string | null;
  compareIds: string[];
  collapsed?: Set<string>;
}
/** What h() appends: nodes, text (as a text span), nothing, or lists of these. */
type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, string | number | boolean | null | undefined>;
interface DiffRow { path: string; a: string | undefined; b: string | undefined; kind: 'onlyA' | 'onlyB' | 'changed' }
interface BodyDiff { rows: DiffRow[]; more: number }

/** VS Code's webview API (https://code.visualstudio.com/api/extension-guides/webview#scripts-and-message-passing). */
interface WebviewApi<State, Message = WebviewMessage> {
  postMessage(message: Message): void;
  getState(): State | undefined;
  setState(state: State): void;
}
declare function acquireVsCodeApi<State = unknown, Message = WebviewMessage>(): WebviewApi<State, Message>;

interface Window {
  ScimTraceView: typeof import('./trace-view');
}
