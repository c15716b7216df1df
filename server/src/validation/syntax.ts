// VMS000: what the lexer and parser could not read (VMS009: how many more
// past the cap). VMS005: an escape in a
// string other than \" \\ \n \t, which stands for the character itself.
import type * as A from '../../../grammar/src/ast';
import type { ValidationContext } from './context';

export function checkSyntax(ctx: ValidationContext): void {
  for (const p of ctx.file.doc.problems) ctx.report(p.span, p.more === undefined ? 'VMS000' : 'VMS009', p.message);
  // The grammar requires `hosts`; the parser takes a network's properties in any order, so its absence is found here.
  for (const d of ctx.file.doc.decls) {
    if (d.kind === 'network' && !d.hostsSpan && d.name.text && !unreadProperty(d, 'hosts')) ctx.report(d.name.span, 'VMS000', `network '${d.name.text}' needs the hosts it joins: \`hosts h1, h2\``);
  }
  // Only a text with a backslash can hold an escape: most files skip the walk.
  if (!ctx.file.text.includes('\\')) return;
  for (const s of strings(ctx.file.doc.decls)) {
    for (const e of s.escapes ?? []) {
      ctx.report(e.span, 'VMS005', `unknown escape '${e.text}' in a string; it stands for '${e.text.slice(1)}' — write '${e.text.slice(1)}' alone, or '\\\\' for a backslash`);
    }
  }
}

/**
 * Whether property `key` of `decl` was written but could not be read (its
 * VMS000 says why). A warning that the property is left out (add `exclude
 * …`, add `attest hosts …`) would only repeat that error, so every such
 * warning asks this first. A two-word key (`attest hosts`) also counts as
 * unread when only its first word was (`attest against g`).
 */
export function unreadProperty(decl: A.Decl | undefined, key: string): boolean {
  const broken = decl?.broken;
  if (!broken) return false;
  const space = key.indexOf(' ');
  return broken.includes(key) || (space > 0 && broken.includes(key.slice(0, space)));
}

/** Every string literal of a syntax tree, found without recursion (the tree's depth follows the input). */
function strings(root: unknown): A.Str[] {
  const out: A.Str[] = [];
  const stack: unknown[] = [root];
  while (stack.length) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Array.isArray(node)) { for (let i = node.length - 1; i >= 0; i--) stack.push(node[i]); continue; }
    const o = node as Record<string, unknown>;
    if (typeof o.value === 'string' && o.span && 'escapes' in o) { out.push(o as unknown as A.Str); continue; }
    for (const key in o) if (key !== 'span' && key !== 'keySpan' && typeof o[key] === 'object') stack.push(o[key]);
  }
  return out;
}
