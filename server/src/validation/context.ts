// What every check reads: the file being validated (the root of its file
// set), the shared namespace, the resolved references and the semantic model.
import type { Span } from '../../../grammar/src/ast';
import { Code, diag, Diagnostic } from '../model/diagnostics';
import type { FileSet } from '../model/workspace';
import type { SourceFile } from '../model/source-file';
import type { Namespace } from '../model/symbols';
import type { Reference } from '../model/references';
import type { SemanticModel } from '../model/semantic';

export interface ValidationContext {
  set: FileSet;
  file: SourceFile;
  ns: Namespace;
  refs: Reference[];
  model: SemanticModel;
  /** Paths written by the file (checkpoints) must stay below this folder. */
  workspaceRoot: string;
  report(span: Span, code: Code, message: string, extra?: Partial<Diagnostic>): void;
  /** `file:line` of a span, for messages that point elsewhere. */
  where(path: string, span: Span): string;
}

export function createContext(set: FileSet, ns: Namespace, refs: Reference[], model: SemanticModel, workspaceRoot: string, out: Diagnostic[]): ValidationContext {
  const file = set.root;
  return {
    set, file, ns, refs, model, workspaceRoot,
    report: (span, code, message, extra) => { out.push(diag(file.path, span, code, message, extra)); },
    where: (path, span) => {
      const f = set.files.find((x) => x.path === path);
      const line = f ? f.lines.position(span.start).line + 1 : 0;
      return path === file.path ? `line ${line}` : `${path.split(/[\\/]/).pop()}:${line}`;
    },
  };
}
