// YAML syntax errors in plain words. Needed only for a file with syntax errors: the extension loads it then
// (dist/syntax-errors.js, scripts/build.mjs LAZY).

/** A YAML syntax error in plain words (the parser's code names are for parser authors), at the place to fix. */
export function syntaxMessage(code: string, message: string, source: string, offset: number): { offset: number; message: string } {
  const say = (text: string, at = offset) => ({ offset: at, message: `YAML syntax error: ${text}` });
  // `key: ${env:X}` reads fine, but inside { } or [ ] the `{` of `${` opens a map: the value must be quoted.
  const sub = source.startsWith('${', offset) ? offset : source[offset] === '{' && source[offset - 1] === '$' ? offset - 1 : -1;
  if (sub >= 0) return say('quote a value that starts with `${` (write "${env:NAME}" with the quotes: inside { } or [ ] an unquoted `{` starts a map)', sub);
  const first = (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
  const token = /in YAML stream: "(.*)"$/.exec(first)?.[1];
  switch (code) {
    case 'TAB_AS_INDENT': return say('indent with spaces, not tabs');
    case 'BAD_INDENT': return say('this line is not indented like the keys around it (the keys of one map start at the same column)');
    case 'DUPLICATE_KEY': {
      const key = /^[^:\n]*/.exec(source.slice(offset))?.[0]?.trim().replace(/^["']|["']$/g, '');
      return say(`${key ? `"${key}"` : 'a key'} is given twice in the same map (keys must be unique)`);
    }
    case 'MISSING_CHAR':
      if (/quote/i.test(first)) return say('a quoted value is not closed: add the closing quote on the same line');
      return say(`${first.replace(/^Missing /, 'missing ')} (a value with , [ ] { } or : in it needs quotes)`);
    case 'MULTILINE_IMPLICIT_KEY':
    case 'BLOCK_AS_IMPLICIT_KEY':
      return say('a key must fit on one line: is a `:` missing at the end of the line above, or a value that needs quotes?');
    case 'BAD_SCALAR_START':
      return say('a plain value cannot start with this character: put the value in quotes');
    case 'UNEXPECTED_TOKEN':
      return say(token !== undefined ? `unexpected \`${token}\` here: check the indentation, or put the value in quotes` : `${first.toLowerCase()}: check the indentation, or put the value in quotes`);
    default:
      return say(first.charAt(0).toLowerCase() + first.slice(1));
  }
}
