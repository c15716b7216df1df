// `vmsec export-policy` as a registry command; it parses its own options.
import { EXPORT_POLICY_HELP, EXPORT_POLICY_SYNOPSIS, runExportPolicy } from './export-policy';
import type { Command } from './common';

export const exportPolicyCommand: Command = {
  synopsis: EXPORT_POLICY_SYNOPSIS,
  help: EXPORT_POLICY_HELP,
  options: { format: true, out: true },
  run: () => { throw new Error('export-policy runs through runArgs'); },
  runArgs: runExportPolicy,
};
