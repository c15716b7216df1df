// `vmsec check`: validate the named files and everything they import — the
// same set of files `run` validates before it runs anything.
import { Workspace } from '../model/workspace';
import { validateFiles, ValidatedFiles } from '../validation/validate-files';
import { diskReader } from './files';

export type CheckResult = ValidatedFiles;

export function checkFiles(paths: string[], workspaceRoot?: string): CheckResult {
  return validateFiles(new Workspace(diskReader), paths, { workspaceRoot });
}
