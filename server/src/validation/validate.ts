// Validation of one file in the context of its file set: every check family
// in turn. The result is the file's diagnostics, sorted by position.
import type { Diagnostic } from '../model/diagnostics';
import type { FileSet } from '../model/workspace';
import { resolveFileSet, Resolved } from '../model/resolve';
import * as nodePath from 'node:path';
import { createContext } from './context';
import { checkSyntax } from './syntax';
import { checkDuplicateNames, checkReferences } from './names';
import { checkValues } from './values';
import { checkForks } from './fork';
import { checkMonitors } from './monitor';
import { checkCheckpoints } from './checkpoint';
import { checkSharing } from './sharing';
import { checkCoResidency } from './coresidency';

export interface ValidateOptions { workspaceRoot?: string }

export function validateFileSet(set: FileSet, options: ValidateOptions = {}, resolved: Resolved = resolveFileSet(set)): Diagnostic[] {
  const out: Diagnostic[] = [...set.diagnostics];
  const { ns, refs, model } = resolved;
  const ctx = createContext(set, ns, refs, model, options.workspaceRoot ?? nodePath.dirname(set.root.path), out);
  checkSyntax(ctx);
  checkReferences(ctx);
  checkDuplicateNames(ctx);
  checkValues(ctx);
  checkForks(ctx);
  checkMonitors(ctx);
  checkCheckpoints(ctx);
  checkSharing(ctx);
  checkCoResidency(ctx);
  return out.sort((a, b) => a.span.start - b.span.start || a.code.localeCompare(b.code));
}
