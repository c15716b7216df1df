// Validation of one file in the context of its file set: every check family
// in turn. The result is the file's diagnostics, sorted by position.
import { diag, Diagnostic, Severity } from '../model/diagnostics';
import type { FileSet } from '../model/workspace';
import { resolveFileSet, Resolved } from '../model/resolve';
import * as nodePath from 'node:path';
import { createContext } from './context';
import { checkSyntax } from './syntax';
import { checkDuplicateNames, checkReferences } from './names';
import { checkValues } from './values';
import { checkForks } from './fork';
import { checkAttestationCoverage } from './attestation-coverage';
import { checkMonitors } from './monitor';
import { checkSyscallNames } from './syscall-names';
import { checkCheckpoints } from './checkpoint';
import { checkSharing } from './sharing';
import { checkCoResidency } from './coresidency';
import { checkCapacity } from './capacity';

export interface ValidateOptions { workspaceRoot?: string }

export function validateFileSet(set: FileSet, options: ValidateOptions = {}, resolved: Resolved = resolveFileSet(set)): Diagnostic[] {
  const out: Diagnostic[] = [...set.diagnostics];
  const { ns, refs, model } = resolved;
  const ctx = createContext(set, ns, refs, model, options.workspaceRoot ?? nodePath.dirname(set.root.path), out);
  checkSyntax(ctx);
  checkReferences(ctx);
  checkDuplicateNames(ctx);
  checkValues(ctx);
  checkCapacity(ctx);
  checkForks(ctx);
  checkAttestationCoverage(ctx);
  checkMonitors(ctx);
  checkSyscallNames(ctx);
  checkCheckpoints(ctx);
  checkSharing(ctx);
  checkCoResidency(ctx);
  return capped(out, set.root.path);
}

/** At most this many diagnostics per file (as compilers do); one more says how many were left out. */
export const MAX_DIAGNOSTICS = 500;
const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
const byPosition = (a: Diagnostic, b: Diagnostic) => a.span.start - b.span.start || a.code.localeCompare(b.code);

/**
 * Sorted by position, at most MAX_DIAGNOSTICS of them; errors are kept before
 * warnings, so a file with errors still shows (and exits with) errors.
 */
function capped(out: Diagnostic[], path: string): Diagnostic[] {
  if (out.length <= MAX_DIAGNOSTICS) return out.sort(byPosition);
  out.sort((a, b) => RANK[a.severity] - RANK[b.severity] || byPosition(a, b));
  const left = out.slice(MAX_DIAGNOSTICS);
  const shown = out.slice(0, MAX_DIAGNOSTICS).sort(byPosition);
  const count = (s: Severity) => left.filter((d) => d.severity === s).length;
  const parts = (['error', 'warning', 'info'] as const).map((s) => [count(s), s] as const).filter(([n]) => n > 0).map(([n, s]) => `${n} ${s}${n === 1 ? '' : 's'}`);
  shown.push(diag(path, shown[shown.length - 1].span, 'VMS009', `${left.length} more problems not shown (${parts.join(', ')}); fix the ones above first`));
  return shown;
}
