// VMS020: a rule shadowed by an earlier one. Rules are tried in order and the
// first match decides, so a later rule whose every event an earlier rule
// already matches can never fire.
import type * as A from '../../../grammar/src/ast';
import { inBlock } from '../../../grammar/src/literals';
import type { ValidationContext } from './context';

function same(a: A.Cond, b: A.Cond): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'or': case 'and': {
      const o = (b as typeof a).operands;
      return a.operands.length === o.length && a.operands.every((x, i) => same(x, o[i]));
    }
    case 'not': return same(a.operand, (b as typeof a).operand);
    case 'fileEq': case 'filePrefix': { const c = b as typeof a; return a.index.value === c.index.value && a.value.value === c.value.value; }
    case 'ip': { const c = b as typeof a; return a.addr.ip === c.addr.ip && a.addr.prefix === c.addr.prefix; }
    case 'port': return a.port.value === (b as typeof a).port.value;
    case 'process': return a.name.text === (b as typeof a).name.text;
  }
}

/** Whether every event matching `a` also matches `b` (sound, not complete). */
export function implies(a: A.Cond, b: A.Cond): boolean {
  if (same(a, b)) return true;
  if (b.kind === 'or' && b.operands.some((o) => implies(a, o))) return true;
  if (b.kind === 'and' && b.operands.every((o) => implies(a, o))) return true;
  if (a.kind === 'and' && a.operands.some((o) => implies(o, b))) return true;
  if (a.kind === 'or' && a.operands.every((o) => implies(o, b))) return true;
  if (b.kind === 'filePrefix' && (a.kind === 'fileEq' || a.kind === 'filePrefix')) {
    return a.index.value === b.index.value && a.value.value.startsWith(b.value.value);
  }
  if (a.kind === 'ip' && b.kind === 'ip') return (a.addr.prefix ?? 32) >= (b.addr.prefix ?? 32) && inBlock(a.addr.ip, b.addr);
  return false;
}

export function checkMonitors(ctx: ValidationContext): void {
  for (const d of ctx.file.doc.decls) {
    if (d.kind !== 'monitor') continue;
    const rules = d.props.filter((p): p is A.RuleDecl => p.key === 'rule');
    rules.forEach((later, j) => {
      const calls = later.calls.map((c) => c.text);
      const earlier = rules.slice(0, j).find((r) => {
        const covers = new Set(r.calls.map((c) => c.text));
        return calls.every((c) => covers.has(c)) && (!r.when || (later.when !== undefined && implies(later.when, r.when)));
      });
      if (earlier) {
        ctx.report(later.name.span, 'VMS020', `rule '${later.name.text}' can never fire: rule '${earlier.name.text}' (${ctx.where(ctx.file.path, earlier.name.span)}) matches all its events first; move it above '${earlier.name.text}' or narrow '${earlier.name.text}'`);
      }
    });
  }
}
