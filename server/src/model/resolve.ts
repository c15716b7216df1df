// Linking a file set: namespace, the root's references, the semantic model.
// Kept separate from validation so the server can reuse it for navigation.
import type { FileSet } from './workspace';
import { buildNamespace, Namespace } from './symbols';
import { collectReferences, Reference } from './references';
import { buildModel, ModelCache, SemanticModel } from './semantic';

export interface Resolved { ns: Namespace; refs: Reference[]; model: SemanticModel }

/** The namespace and the root's references only, without the model (find-references and rename). */
export function resolveNames(set: FileSet): Omit<Resolved, 'model'> {
  const ns = buildNamespace(set.files);
  return { ns, refs: collectReferences(set.root, ns) };
}

/** `cache`: model objects shared by the overlapping file sets of one validation (see ModelCache). */
export function resolveFileSet(set: FileSet, cache?: ModelCache): Resolved {
  const names = resolveNames(set);
  return { ...names, model: buildModel(set.files, names.ns, cache) };
}
