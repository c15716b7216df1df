// `vmsec run … --report FILE`: the results view as one self-contained HTML
// file (the same page the editor shows, with the view script inlined), for CI
// to attach to a build. Written through the guarded writer: inside the
// report's own folder, replacing only a file that is itself a vmsec report.
import * as nodePath from 'node:path';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { WriteRefused, writeGuarded, writeProblem } from '../model/guarded-write';
import type { RunResult } from '../sim/results';
import { buildScenarioView } from '../report/view-model';
import { renderReportHtml, REPORT_MAGIC } from '../report/html';

const MAGIC = Buffer.from(REPORT_MAGIC, 'utf8');

/** Why the report cannot be written there (checked before anything runs), or undefined. */
export function reportProblem(target: string): string | undefined {
  const problem = writeProblem(nodePath.dirname(target), target, MAGIC);
  // The marker has line breaks: show it on one line.
  return problem ? `--report ${target}: ${problem.split(REPORT_MAGIC).join('<!DOCTYPE html><!-- vmsec report -->')}` : undefined;
}

/** The view script, from beside the CLI bundle (dist/report-view.js). */
export function readViewScript(): { ok: true; text: string } | { ok: false; error: string } {
  // Bundled (CommonJS) the CLI has __dirname; from the sources (tests under tsx) the bundle is in dist/.
  const dir = typeof __dirname === 'string' ? __dirname : nodePath.resolve('dist');
  const file = nodePath.join(dir, 'report-view.js');
  try {
    return { ok: true, text: readFileSync(file, 'utf8') };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { ok: false, error: `the report's view script ${file} is missing${code && code !== 'ENOENT' ? ` (${code})` : ''}; reinstall vmsec or run \`node esbuild.mjs\`` };
  }
}

/** Writes the report; throws WriteRefused (a clear message) when the target may not be written. Returns bytes written. */
export function writeReport(target: string, results: RunResult[], script: string): number {
  const views = results.flatMap((r) => r.scenarios.map((s) => buildScenarioView(s, (p) => (p ? pathToFileURL(p).href : ''))));
  const html = renderReportHtml(views, { mode: 'static', inlineScript: script, title: reportTitle(results) });
  try {
    return writeGuarded(target, { root: nodePath.dirname(target), ownMagic: MAGIC }, (sink) => sink.write(Buffer.from(html, 'utf8')));
  } catch (e) {
    if (e instanceof WriteRefused) throw new WriteRefused(`--report ${target}: ${e.message.split(REPORT_MAGIC).join('<!DOCTYPE html><!-- vmsec report -->')}`);
    // An I/O error (no space, no permission) is the user's to fix, not an internal error.
    throw new WriteRefused(`--report ${target}: could not write the report (${(e as Error).message})`);
  }
}

function reportTitle(results: RunResult[]): string {
  const files = results.map((r) => nodePath.basename(r.file));
  return `vmsec report: ${files.length <= 3 ? files.join(', ') : `${files.length} files`}`;
}
