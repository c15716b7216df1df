// VMS000: what the lexer and parser could not read.
import type { ValidationContext } from './context';

export function checkSyntax(ctx: ValidationContext): void {
  for (const p of ctx.file.doc.problems) ctx.report(p.span, 'VMS000', p.message);
}
