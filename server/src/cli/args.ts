// Command-line options of one subcommand: `--name VALUE`, `--name=VALUE`,
// boolean `--name`, `-h`/`--help`, and `--` ending the options. Anything not
// declared for the subcommand is "unknown option", never swallowed as a value.

export class UsageError extends Error {}

export interface OptionSpec {
  /** true: the option takes a value; 'many': a value, and it may be given again; false: a boolean flag. */
  [name: string]: boolean | 'many';
}

export interface ParsedArgs {
  positional: string[];
  values: Map<string, string>;
  /** Every value of a repeatable option, in order. */
  lists: Map<string, string[]>;
  flags: Set<string>;
  help: boolean;
}

export function parseOptions(args: string[], spec: OptionSpec): ParsedArgs {
  const out: ParsedArgs = { positional: [], values: new Map(), lists: new Map(), flags: new Set(), help: false };
  const known = (name: string) => Object.hasOwn(spec, name);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') { out.positional.push(...args.slice(i + 1)); break; }
    if (a === '-h' || a === '--help') { out.help = true; continue; }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (!known(name)) throw new UsageError(`unknown option --${name}`);
      if (spec[name] !== 'many' && (out.values.has(name) || out.flags.has(name))) throw new UsageError(`--${name} is given twice`);
      if (!spec[name]) {
        if (eq > 0) throw new UsageError(`--${name} takes no value`);
        out.flags.add(name);
        continue;
      }
      let v: string | undefined;
      if (eq > 0) v = a.slice(eq + 1);
      else {
        v = args[i + 1];
        // `--scenario --format` is a missing value, not a scenario named "--format";
        // `--scenario=--format` is how to name one.
        if (v === undefined || v.startsWith('--')) throw new UsageError(`--${name} needs a value`);
        i++;
      }
      if (v === '') throw new UsageError(`--${name} needs a value`);
      out.values.set(name, v);
      if (spec[name] === 'many') out.lists.set(name, [...(out.lists.get(name) ?? []), v]);
      continue;
    }
    if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option ${a}`);
    out.positional.push(a);
  }
  return out;
}
