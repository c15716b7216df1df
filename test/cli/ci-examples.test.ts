// The CI examples in docs/examples are working files: they parse as YAML, the
// GitHub Actions matrix and the Kubernetes Indexed Job have the shape those
// engines need, and every vmsec command they run uses only real subcommands
// and flags (checked against `vmsec SUB --help` of the built CLI).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

// js-yaml ships no types; the two functions used here.
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown; loadAll(text: string): unknown[] };

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'vmsec.js');
const EXAMPLES = join(ROOT, 'docs', 'examples');

const helpCache = new Map<string, string>();
function help(sub: string): string {
  if (!helpCache.has(sub)) {
    const r = spawnSync(process.execPath, [CLI, sub, '--help'], { encoding: 'utf8' });
    assert.equal(r.status, 0, `vmsec ${sub} --help: ${r.stderr}`);
    helpCache.set(sub, r.stdout);
  }
  return helpCache.get(sub)!;
}

/** Every `vmsec SUB …` command in a shell script, with its --flags. */
function vmsecCommands(script: string): { sub: string; flags: string[]; text: string }[] {
  const joined = script.replace(/\\\n/g, ' ');
  const out: { sub: string; flags: string[]; text: string }[] = [];
  for (const m of joined.matchAll(/(?:^|[;&|(\s])vmsec\s+([a-z-]+)([^;&|\n]*)/g)) {
    out.push({ sub: m[1], flags: [...m[2].matchAll(/(?:^|\s)(--[a-z-]+)/g)].map((f) => f[1]), text: m[0].trim() });
  }
  return out;
}

function checkCommands(where: string, scripts: string[]): number {
  let n = 0;
  for (const script of scripts) {
    for (const c of vmsecCommands(script)) {
      const h = help(c.sub);
      for (const flag of c.flags) assert.match(h, new RegExp(`(^|\\s|\\[)${flag}(\\s|=|\\]|$)`, 'm'), `${where}: ${c.text}: vmsec ${c.sub} has no ${flag}`);
      n++;
    }
  }
  return n;
}

type Step = { run?: string; uses?: string; with?: Record<string, unknown> };
type GhJob = { 'runs-on': string; needs?: string; strategy?: { matrix: Record<string, unknown[]> }; steps: Step[] };

test('the GitHub Actions example: a shard matrix uploading partials, and a merge job', () => {
  const wf = yaml.load(readFileSync(join(EXAMPLES, 'github-actions.yml'), 'utf8')) as { jobs: Record<string, GhJob> };
  const { shards, merge } = wf.jobs;
  assert.deepEqual(shards.strategy!.matrix.shard, [1, 2, 3, 4]);
  const runs = shards.steps.flatMap((s) => (s.run ? [s.run] : []));
  assert.ok(runs.some((r) => /--shard \$\{\{ matrix\.shard \}\}\/4 --out part-\$\{\{ matrix\.shard \}\}\.jsonl/.test(r.replace(/\\\n\s*/g, ''))));
  assert.ok(shards.steps.some((s) => s.uses?.startsWith('actions/upload-artifact') && String(s.with?.path).includes('part-')));
  assert.equal(merge.needs, 'shards');
  assert.ok(merge.steps.some((s) => s.uses?.startsWith('actions/download-artifact')));
  const mergeRuns = merge.steps.flatMap((s) => (s.run ? [s.run] : []));
  assert.ok(mergeRuns.some((r) => /vmsec merge part-\*\.jsonl/.test(r)));
  assert.ok(checkCommands('github-actions.yml', [...runs, ...mergeRuns]) >= 4);
});

test('the Kubernetes example: an Indexed Job taking its shard from JOB_COMPLETION_INDEX, and a merge Job', () => {
  const docs = yaml.loadAll(readFileSync(join(EXAMPLES, 'k8s-indexed-job.yaml'), 'utf8')) as { kind: string; metadata: { name: string }; spec: Record<string, any> }[];
  assert.deepEqual(docs.map((d) => d.kind), ['PersistentVolumeClaim', 'Job', 'Job']);
  const [, shards, merge] = docs;
  assert.equal(shards.spec.completionMode, 'Indexed');
  assert.equal(shards.spec.completions, 8);
  const script = (job: typeof shards) => job.spec.template.spec.containers[0].args.join('\n');
  assert.match(script(shards), /--shard \$\(\(JOB_COMPLETION_INDEX \+ 1\)\)\/8/);
  assert.match(script(merge), /vmsec merge \/results\/part-\*\.jsonl/);
  assert.match(script(merge), /-eq 8 \]/, 'waits for all 8 partials');
  assert.ok(checkCommands('k8s-indexed-job.yaml', [script(shards), script(merge)]) >= 3);
});

test('the flag check itself catches a flag vmsec does not have', () => {
  assert.throws(() => checkCommands('made up', ['vmsec run x --seeds 1..3 --shards 1/2']), /vmsec run has no --shards/);
  assert.throws(() => checkCommands('made up', ['vmsec merge a --formats json']), /vmsec merge has no --formats/);
});
