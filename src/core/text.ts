// Text from outside (servers, profiles files) shown to a person. A terminal obeys escape sequences (ESC, CSI
// as C1 U+009B, OSC), carriage returns overwrite what was printed, DEL erases, and bidi controls (U+202E)
// reorder what is shown: any of them in a server's `detail` can rewrite or hide what the CLI prints.
// `showControls` makes every such character visible as `\uXXXX`, the one form that is readable, inert in a
// terminal, and the same value when it lands inside a JSON string (JSON reads `\u202e` as U+202E).

/**
 * C0 controls (except LF), DEL, C1 controls, the bidi controls (ALM, LRM, RLM, LRE..RLO, LRI..PDI), the
 * Unicode line and paragraph separators, and a byte-order mark / zero-width no-break space.
 */
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g;

/** Whether a text holds a character `showControls` would rewrite. */
export function hasControls(text: string): boolean {
  CONTROLS.lastIndex = 0;
  const found = CONTROLS.test(text);
  CONTROLS.lastIndex = 0;
  return found;
}

/** Every control character (C0 but LF, DEL, C1, bidi) shown as `\uXXXX`; LF is kept (line structure). */
export function showControls(text: string): string {
  return text.replace(CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** For one-line places (a table cell, a title): LF shown as `\u000a` too. */
export function showControlsInline(text: string): string {
  return showControls(text).replace(/\n/g, '\\u000a');
}
