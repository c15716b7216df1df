// Finds and loads a subcommand's bundle (dist/cli-NAME.js, beside this one).
import { join } from 'node:path';
import type { Command } from './common';
import { loadBundle } from './load-bundle';

/** What each command bundle exports (see the CLI entries in esbuild.mjs). */
interface CommandBundle {
  command: Command;
  runCommandMain(name: string, cmd: Command, args: string[]): number | Promise<number>;
}

/** A command's bundle is not beside the dispatcher (a partial copy or install): exit 2 with this message. */
export class BundleMissing extends Error {}

export function loadCommand(name: string): { run(args: string[]): number | Promise<number> } {
  // Only the built CLI has its commands as bundles; from the sources there is nothing to load.
  if (typeof __dirname !== 'string') throw new BundleMissing('the vmsec CLI runs from its build (dist/vmsec.js): run node esbuild.mjs');
  const file = join(__dirname, `cli-${name}.js`);
  let b: CommandBundle;
  try {
    b = loadBundle(file) as CommandBundle;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    throw new BundleMissing(`the code of 'vmsec ${name}' (${file}) is missing; reinstall vmsec or run \`node esbuild.mjs\``);
  }
  return { run: (args) => b.runCommandMain(name, b.command, args) };
}
