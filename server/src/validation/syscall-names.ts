// VMS021: a monitor rule or a `syscall` step naming a call Linux does not
// have. A rule on `opne` never meets a traced program and its policy export
// names a kprobe that does not exist, so a typo silently disarms a defence.
import type { Ident } from '../../../grammar/src/ast';
import { closest, suggestBudget } from '../../../grammar/src/suggest';
import { LINUX_SYSCALLS } from '../model/syscall-names';
import type { ValidationContext } from './context';
import { nameWritten } from './names';

export function checkSyscallNames(ctx: ValidationContext): void {
  const budget = suggestBudget();
  const check = (call: Ident, where: string) => {
    // A call the parser could not read is its VMS000, not a call Linux lacks.
    if (LINUX_SYSCALLS.has(call.text) || !nameWritten(ctx, ctx.file.path, call)) return;
    const guess = closest(call.text, LINUX_SYSCALLS, budget);
    ctx.report(call.span, 'VMS021', `'${call.text}' is not a Linux system call${guess ? `; did you mean '${guess}'?` : ''} — ${where}`,
      { data: { suggestion: guess } });
  };
  for (const d of ctx.file.doc.decls) {
    if (d.kind === 'monitor') {
      for (const p of d.props) if (p.key === 'rule') for (const c of p.calls) check(c, 'no traced program makes it, and exported policies would hook nothing');
    }
    if (d.kind === 'scenario') {
      for (const it of d.items) if (it.key === 'step' && it.body.kind === 'syscall') check(it.body.call, 'a real VM never makes it');
    }
  }
}
