// VMS001 (undeclared), VMS016 (wrong kind) and VMS002 (declared twice).
import type * as A from '../../../grammar/src/ast';
import { closest, suggestBudget } from '../../../grammar/src/suggest';
import { KIND_WORDS, Sym } from '../model/symbols';
import type { ValidationContext } from './context';
import { appendTo } from '../model/map-of-lists';

/** At most ten names, then how many more: a message stays short whatever the file holds. */
function listSome(names: Iterable<string>, size: number): string {
  const shown: string[] = [];
  for (const n of names) { if (shown.length === 10) break; shown.push(n); }
  return size > shown.length ? `${shown.join(', ')} and ${size - shown.length} more` : shown.join(', ');
}

/**
 * Whether every given name was read. Where the parser could not read a name it
 * leaves one with no text (recovery); its VMS000 already says so. The one rule
 * for every check: never quote a missing name, and judge nothing that hangs on
 * one (a nameless declaration, process, rule, call or channel) until it is written.
 */
export function named(...names: ({ text: string } | string | undefined)[]): boolean {
  for (const n of names) if (typeof n === 'string' ? !n : !n?.text) return false;
  return true;
}

/**
 * Whether a name was written as a name. Besides a name with no text: a keyword
 * may be a name, so recovery reads `checkpoint of web { }` as a checkpoint
 * named `of` whose `of` is missing (and `migrate to b` as a migration of a vm
 * `to`). Such a name is followed at once by a syntax problem that expected
 * that very word; `checkpoint of of web` is a real `of`.
 */
export function nameWritten(ctx: ValidationContext, path: string, name: A.Ident): boolean {
  if (!named(name)) return false;
  const file = path === ctx.file.path ? ctx.file : ctx.set.files.find((f) => f.path === path);
  if (!file) return true;
  let at = name.span.end;
  while (at < file.text.length && /\s/.test(file.text[at])) at++;
  return !problemsAt(file.doc.problems).get(at)?.some((p) => p.expected === name.text);
}

/** A parse's syntax problems by where they start, made once per list (each parse makes a new one). */
const problemIndex = new WeakMap<readonly A.SyntaxProblem[], Map<number, A.SyntaxProblem[]>>();
function problemsAt(problems: readonly A.SyntaxProblem[]): Map<number, A.SyntaxProblem[]> {
  let m = problemIndex.get(problems);
  if (!m) { m = new Map(); for (const p of problems) appendTo(m, p.span.start, p); problemIndex.set(problems, m); }
  return m;
}

/** `nameWritten` for the name a declaration introduces (declarations without one: true). */
export function declNamed(ctx: ValidationContext, path: string, d: A.Decl): boolean {
  return 'name' in d ? nameWritten(ctx, path, d.name) : true;
}

/** 'a host', 'an attacker': also the language server's refusals. */
export function article(word: string): string { return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`; }

/**
 * Declared names of the wanted kinds, grouped by length, built once per set
 * of kinds: each unresolved name then looks only at names of a similar length.
 */
function candidateIndex(ctx: ValidationContext): (kinds: readonly string[], word: string) => Iterable<string> {
  const byKinds = new Map<string, Map<number, string[]>>();
  return function* (kinds, word) {
    const key = kinds.join(',');
    let byLength = byKinds.get(key);
    if (!byLength) {
      byLength = new Map();
      for (const s of ctx.ns.byName.values()) {
        if (!kinds.includes(s.kind)) continue;
        appendTo(byLength, s.name.length, s.name);
      }
      byKinds.set(key, byLength);
    }
    // closest() accepts at most a third of the word's length in edits.
    const reach = Math.max(1, Math.floor(word.length / 3));
    for (let d = 0; d <= reach; d++) {
      yield* byLength.get(word.length - d) ?? [];
      if (d > 0) yield* byLength.get(word.length + d) ?? [];
    }
  };
}

export function checkReferences(ctx: ValidationContext): void {
  const budget = suggestBudget();
  const similar = candidateIndex(ctx);
  for (const r of ctx.refs) {
    if (r.target || !nameWritten(ctx, ctx.file.path, r.ident)) continue;
    const wanted = r.expected.map((k) => KIND_WORDS[k]).join(' or ');
    if (r.needsIndex && r.wrongKind) {
      ctx.report(r.ident.span, 'VMS016', `'${r.ident.text}' is a fork; name one of its children, e.g. ${r.ident.text}[1]`);
      continue;
    }
    if (r.wrongKind) {
      ctx.report(r.ident.span, 'VMS016', `'${r.ident.text}' is ${article(KIND_WORDS[r.wrongKind.kind])} (${ctx.where(r.wrongKind.path, r.wrongKind.span)}), but ${article(wanted)} is expected here`);
      continue;
    }
    if (r.expected.includes('process')) {
      if (!r.owner) continue;
      const procs = ctx.ns.processesOf(r.owner.name) ?? new Map<string, Sym>();
      const guess = closest(r.ident.text, procs.keys(), budget);
      ctx.report(r.ident.span, 'VMS001',
        `vm '${r.owner.name}' has no process '${r.ident.text}'${guess ? ` — did you mean '${guess}'?` : procs.size ? `; its processes are ${listSome(procs.keys(), procs.size)}` : ''}`,
        { data: { name: r.ident.text, kinds: r.expected, suggestion: guess } });
      continue;
    }
    const guess = closest(r.ident.text, similar(r.expected, r.ident.text), budget);
    ctx.report(r.ident.span, 'VMS001',
      `${wanted} '${r.ident.text}' is not declared${guess ? ` — did you mean '${guess}'?` : `; declare it with \`${r.expected[0] === 'attacker-vm' ? 'vm' : r.expected[0]} ${r.ident.text} …\``}`,
      { data: { name: r.ident.text, kinds: r.expected, suggestion: guess } });
  }
}

export function checkDuplicateNames(ctx: ValidationContext): void {
  const root = ctx.file.path;
  const dup = (first: Sym, second: Sym, scope: string) => {
    const [here, other] = second.path === root ? [second, first] : first.path === root ? [first, second] : [undefined, undefined];
    if (!here || !other) {
      // Both declarations come from imported files: report on the import that brings in the second.
      const imp = ctx.file.doc.decls.find((d): d is A.ImportDecl => d.kind === 'import' && ctx.set.files.some((f) => f.path === second.path));
      if (imp) ctx.report(imp.path.span, 'VMS002', `'${second.name}' is declared in two imported files (${ctx.where(first.path, first.span)} and ${ctx.where(second.path, second.span)}); rename one`);
      return;
    }
    ctx.report(here.span, 'VMS002', `'${here.name}' is already declared${scope} as ${article(KIND_WORDS[other.kind])} (${ctx.where(other.path, other.span)}); names must be unique — rename one`,
      { related: [{ path: other.path, span: other.span, message: 'the other declaration' }] });
  };
  for (const { first, second } of ctx.ns.duplicates) dup(first, second, '');
  for (const { first, second } of ctx.ns.processDuplicates) dup(first, second, ` in vm '${first.parent?.name}'`);

  const titles = new Map<string, A.Str>();
  for (const d of ctx.file.doc.decls) {
    if (d.kind === 'scenario') {
      const prev = titles.get(d.title.value);
      if (prev) ctx.report(d.title.span, 'VMS002', `a scenario titled "${d.title.value}" already exists (${ctx.where(ctx.file.path, prev.span)}); scenario titles are unique per file`);
      else titles.set(d.title.value, d.title);
      // A VM created by `restore … as NAME` must not shadow a declared name. A
      // second restore under a name restored earlier in the scenario is not a
      // check-time error: LANGUAGE.md §3 makes restoring over a VM (a
      // terminated one) a run-time error of that step.
      for (const it of d.items) {
        if (it.key === 'step' && it.body.kind === 'restore' && nameWritten(ctx, ctx.file.path, it.body.as)) {
          const as = it.body.as;
          const clash = ctx.ns.get(as.text);
          if (clash) ctx.report(as.span, 'VMS002', `'${as.text}' is already declared as ${article(KIND_WORDS[clash.kind])} (${ctx.where(clash.path, clash.span)}); restore under a new name`);
        }
      }
    }
    if (d.kind === 'monitor' && declNamed(ctx, ctx.file.path, d)) {
      const rules = new Map<string, A.Ident>();
      for (const p of d.props) {
        if (p.key !== 'rule' || !nameWritten(ctx, ctx.file.path, p.name)) continue;
        const prev = rules.get(p.name.text);
        if (prev) ctx.report(p.name.span, 'VMS002', `monitor '${d.name.text}' already has a rule '${p.name.text}' (${ctx.where(ctx.file.path, prev.span)})`);
        else rules.set(p.name.text, p.name);
      }
    }
  }
}
