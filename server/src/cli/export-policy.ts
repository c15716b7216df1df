// `vmsec export-policy FILE MONITOR --format tetragon|falco [--out FILE]`:
// a monitor's rules as a policy for a real engine. The file set must be free
// of errors; what does not translate is printed on stderr (and kept as
// comments in the YAML). `--out` replaces only a file vmsec wrote.
import * as nodePath from 'node:path';
import { Workspace } from '../model/workspace';
import { buildNamespace } from '../model/symbols';
import { buildMonitors, type MonitorModel } from '../model/semantic-monitors';
import { escapeControl } from '../model/escape-text';
import { writeGuarded, WriteRefused } from '../model/guarded-write';
import { validateFiles } from '../validation/validate-files';
import { falcoRules } from '../report/policy/falco';
import { tetragonPolicy } from '../report/policy/tetragon';
import { ExportedPolicy, POLICY_MAGIC, PolicyFormat } from '../report/policy/translate';
import { parseOptions, UsageError } from './args';
import { diskReader, displayPath } from './files';
import { formatText, locate } from './format-check';

export const EXPORT_POLICY_SYNOPSIS = 'vmsec export-policy FILE MONITOR --format tetragon|falco [--out FILE]';

export const EXPORT_POLICY_HELP = `usage: ${EXPORT_POLICY_SYNOPSIS}

Writes monitor MONITOR of FILE (or of a file it imports) as a Tetragon
TracingPolicy or as Falco rules. A file set with errors is refused. What the
engine cannot express (rule order, escalation, policyChange, VM actions,
default deny) is listed on stderr and as comments in the YAML.

options:
  --format tetragon|falco  the engine (required)
  --out FILE               write FILE instead of stdout; replaces only a file
                           vmsec export-policy wrote
  -h, --help               this help

exit 0 written, 2 misuse, a file with errors, an unknown monitor or a refused write`;

/** Builds the policy for one monitor (pure). */
export function exportPolicy(m: MonitorModel, format: PolicyFormat): ExportedPolicy {
  return format === 'tetragon' ? tetragonPolicy(m) : falcoRules(m);
}

/** Each message one line, escaped whole: a newline in a path or name inside it shows as `\n`. */
function fail(messages: string | string[]): number {
  process.stderr.write((typeof messages === 'string' ? [messages] : messages).map((l) => `vmsec: ${escapeControl(l)}`).join('\n') + '\n');
  return 2;
}

export function runExportPolicy(args: string[]): number {
  const p = parseOptions(args, { format: true, out: true });
  if (p.help) { process.stdout.write(EXPORT_POLICY_HELP + '\n'); return 0; }
  if (p.positional.length !== 2) throw new UsageError('export-policy needs a FILE and a MONITOR name');
  const format = p.values.get('format');
  if (format === undefined) throw new UsageError('export-policy needs --format tetragon or --format falco');
  if (format !== 'tetragon' && format !== 'falco') throw new UsageError(`unknown format '${format}' for export-policy (tetragon or falco)`);
  const [file, monitorName] = p.positional;
  const abs = nodePath.resolve(file);

  const checked = validateFiles(new Workspace(diskReader), [abs]);
  if (checked.unreadable.length) return fail(checked.unreadable.map((u) => `cannot read ${displayPath(u.path)}: it ${u.error}`));
  const errors = checked.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) {
    // formatText escapes each diagnostic whole (one line each).
    process.stderr.write(formatText(locate(checked.files, errors)) + '\n');
    return fail(`${displayPath(abs)} has errors; fix them before exporting`);
  }
  // The monitors FILE's namespace sees: its own and its imports' (names are unique there).
  const files = checked.graph.fileSet(abs)?.files ?? [];
  const monitors = buildMonitors(files, buildNamespace(files));
  const monitor = monitors.get(monitorName);
  if (!monitor) {
    const names = [...monitors.keys()];
    return fail(`no monitor "${monitorName}" in ${displayPath(abs)}; ${names.length ? `it has: ${names.join(', ')}` : 'it has none'}`);
  }

  const out = exportPolicy(monitor, format);
  for (const n of out.notes) {
    process.stderr.write(escapeControl(`vmsec: note: monitor ${monitor.name}${n.rule === undefined ? '' : `, rule ${n.rule}`}: ${n.text}`) + '\n');
  }
  const target = p.values.get('out');
  if (target === undefined) { process.stdout.write(out.yaml); return 0; }
  const targetAbs = nodePath.resolve(target);
  try {
    writeGuarded(targetAbs, { root: nodePath.dirname(targetAbs), ownMagic: Buffer.from(POLICY_MAGIC + '\n') }, (sink) => sink.write(Buffer.from(out.yaml, 'utf8')));
  } catch (e) {
    if (e instanceof WriteRefused) return fail(e.message);
    throw e;
  }
  process.stderr.write(`vmsec: ${format} policy written to ${escapeControl(displayPath(targetAbs))}\n`);
  return 0;
}
