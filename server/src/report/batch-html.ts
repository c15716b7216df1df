// Many runs as one self-contained HTML page: pass rates with confidence
// intervals, failing seeds with the command that reproduces them, and a
// histogram per quantity drawn as inline SVG (no script, so the page works
// anywhere and the same inputs give the same bytes).
import type { Aggregator, BatchSummary, ScenarioStats } from '../batch/aggregate';
import { QUANTITIES } from '../batch/types';
import { esc, REPORT_MAGIC } from './html';
import { ciText, num, percent, reproduceText, seedList, variantLabel } from './batch-text';

const BINS = 20;

/** Counts of `sorted` values in BINS equal bins from min to max (one bin when all are equal). */
export function histogram(sorted: readonly number[], bins = BINS): { from: number; to: number; count: number }[] {
  if (sorted.length === 0) return [];
  const min = sorted[0];
  const max = sorted[sorted.length - 1];
  if (min === max) return [{ from: min, to: max, count: sorted.length }];
  const width = (max - min) / bins;
  const out = Array.from({ length: bins }, (_, i) => ({ from: min + i * width, to: i === bins - 1 ? max : min + (i + 1) * width, count: 0 }));
  for (const v of sorted) out[Math.min(bins - 1, Math.floor((v - min) / width))].count++;
  return out;
}

function histogramSvg(name: string, sorted: readonly number[]): string {
  const bins = histogram(sorted);
  const W = 360; const H = 120; const pad = 18;
  const top = Math.max(...bins.map((b) => b.count), 1);
  const bw = (W - 2 * pad) / bins.length;
  const bars = bins.map((b, i) => {
    const h = ((H - 2 * pad) * b.count) / top;
    return `<rect x="${(pad + i * bw).toFixed(1)}" y="${(H - pad - h).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${h.toFixed(1)}"><title>${esc(`${num(b.from)} – ${num(b.to)}: ${b.count} runs`)}</title></rect>`;
  }).join('');
  const desc = Object.hasOwn(QUANTITIES, name) ? QUANTITIES[name as keyof typeof QUANTITIES] : name;
  return `<figure><svg role="img" aria-label="${esc(`histogram of ${name}`)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">${bars}`
    + `<text x="${pad}" y="${H - 4}">${esc(num(bins[0].from))}</text><text x="${W - pad}" y="${H - 4}" text-anchor="end">${esc(num(bins[bins.length - 1].to))}</text></svg>`
    + `<figcaption>${esc(name)} — ${esc(desc)}</figcaption></figure>`;
}

function scenarioSection(summary: BatchSummary, s: ScenarioStats, values: (q: string) => number[]): string {
  const label = variantLabel(summary, s);
  const ok = s.passed === s.runs;
  const exps = s.expectations.map((e) => `<tr class="${e.passed === e.runs ? 'ok' : 'bad'}"><td>${e.line}</td><td>${esc(e.text)}</td><td>${e.passed}/${e.runs}</td><td>${percent(e.rate)}</td><td>${ciText(e.ci)}</td><td>${e.failing.length ? esc(`${seedList(e.failing.map((f) => f.seed))} (seed ${e.failing[0].seed} saw ${e.failing[0].actual})`) : ''}</td></tr>`).join('');
  const errs = s.errors.map((e) => `<li>line ${e.line}: ${esc(e.message)} (${e.runs} runs; seeds ${esc(seedList(e.seeds))})</li>`).join('');
  const qrows = Object.entries(s.quantities).map(([n, q]) => `<tr><td>${esc(n)}</td><td>${num(q.min)}</td><td>${num(q.median)}</td><td>${num(q.p95)}</td><td>${num(q.max)}</td><td>${q.n}</td></tr>`).join('');
  const charts = Object.keys(s.quantities).map((n) => histogramSvg(n, values(n))).join('');
  return `<section class="${ok ? 'ok' : 'bad'}"><h2>${ok ? '✓' : '✗'} ${esc(s.scenario)}${label ? ` <small>[${esc(label)}]</small>` : ''} <small>${esc(s.file)}</small></h2>
<p>${s.passed}/${s.runs} runs passed (${percent(s.rate)}, ${ciText(s.ci)})${s.failingSeeds.length ? ` — reproduce: <code>${esc(reproduceText(summary, s, s.failingSeeds[0]))}</code>` : ''}</p>
<table><thead><tr><th>line</th><th>expectation</th><th>passed</th><th>rate</th><th>interval</th><th>failing seeds</th></tr></thead><tbody>${exps}</tbody></table>
${errs ? `<ul class="errors">${errs}</ul>` : ''}
${qrows ? `<table><thead><tr><th>quantity</th><th>min</th><th>median</th><th>p95</th><th>max</th><th>runs</th></tr></thead><tbody>${qrows}</tbody></table><div class="charts">${charts}</div>` : ''}
</section>`;
}

export function renderBatchHtml(summary: BatchSummary, agg: Pick<Aggregator, 'values'>, title = 'vmsec: many runs'): string {
  const sections = summary.scenarios.map((s) => scenarioSection(summary, s, (q) => agg.values(s.file, s.scenario, s.variant, q))).join('\n');
  return `${REPORT_MAGIC}<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${esc(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}h2{font-size:1.1em}section{border-top:1px solid #ccc;padding-top:.5em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}tr.bad td{background:#fde8e8}
.charts{display:flex;flex-wrap:wrap;gap:1em}figure{margin:0}svg rect{fill:#4a78c2}svg text{font-size:10px;fill:#555}small{color:#666;font-weight:normal}</style></head>
<body><h1>${esc(title)}</h1>
<p>${summary.runs} runs of ${summary.info.files.length} file${summary.info.files.length === 1 ? '' : 's'}, seeds ${esc(summary.info.seeds)}${summary.info.variants.length ? `, ${summary.info.variants.length} variants` : ''}: <b>${summary.passed} passed, ${summary.runs - summary.passed} failed</b></p>
${sections}
</body></html>
`;
}
