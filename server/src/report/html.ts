// The results view as one HTML page, for the editor's webview and for the
// static report of `vmsec run --report` alike. The summary, the diff and the
// tables are rendered here (readable without script); the view script
// (view/main.ts, bundled to dist/report-view.js) draws the timeline charts
// from the embedded data and turns clicks into "reveal this source range".
// No remote content: a strict CSP, scripts only by nonce.
import { randomBytes } from 'node:crypto';
import { diffViews } from './diff';
import type { ItemLoc, ScenarioRunView } from './view-model';
import type { SeedsQuantity, SeedsResult, SeedsScenario } from '../protocol';

/** The first bytes of every report: `vmsec run --report` replaces only a file that starts with them. */
export const REPORT_MAGIC = '<!DOCTYPE html>\n<!-- vmsec report -->\n';

export interface ReportOptions {
  mode: 'static' | 'webview';
  /** Required in webview mode; a fresh one is made for a static report. */
  nonce?: string;
  /** The webview's `cspSource` (webview mode). */
  cspSource?: string;
  /** The view script's webview URI (webview mode). */
  scriptUri?: string;
  /** The view script's text, inlined (static mode). */
  inlineScript?: string;
  /** The previous (or pinned) runs, matched by scenario name: the page shows what changed. */
  previous?: ScenarioRunView[];
  /** The page title (default: "vmsec report"). */
  title?: string;
}

/** What the view script reads from the page's JSON block. */
export interface ReportData {
  mode: 'static' | 'webview';
  scenarios: { name: string; timeline: ScenarioRunView['timeline'] }[];
  /** The results as run, for Export JSON in the static report. */
  raw: unknown[];
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]!));
}

/** JSON inside <script>: no `<` at all, so neither `</script>` nor `<!--` can end or change the block. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function nonceAttr(s: string): string {
  if (!/^[A-Za-z0-9+/=_-]{8,}$/.test(s)) throw new Error('the nonce must be at least 8 base64 characters');
  return s;
}

/** The page's start up to its body: the report's marker, CSP, title and style. */
function pageHead(title: string, csp: string, style: string): string {
  return `${REPORT_MAGIC}<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${style}</style>
</head>`;
}

/** What every page of the results view shares: a fresh nonce, the CSP of its mode, and its script tag. */
function pageFrame(opts: ReportOptions): { nonce: string; csp: string; script: string } {
  const nonce = nonceAttr(opts.nonce ?? randomBytes(18).toString('base64'));
  const webview = opts.mode === 'webview';
  const csp = webview
    ? `default-src 'none'; img-src ${opts.cspSource ?? ''} data:; font-src ${opts.cspSource ?? ''}; script-src 'nonce-${nonce}'; style-src ${opts.cspSource ?? ''} 'unsafe-inline'`
    : `default-src 'none'; img-src data:; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'`;
  const script = webview
    ? (opts.scriptUri ? `<script nonce="${nonce}" src="${esc(opts.scriptUri)}"></script>` : '')
    : (opts.inlineScript ? `<script nonce="${nonce}">${opts.inlineScript.replace(/<\/(script)/gi, '<\\/$1')}</script>` : '');
  return { nonce, csp, script };
}

export function renderReportHtml(views: ScenarioRunView[], opts: ReportOptions): string {
  const { nonce, csp, script } = pageFrame(opts);
  const data: ReportData = { mode: opts.mode, scenarios: views.map((v) => ({ name: v.name, timeline: v.timeline })), raw: views.map((v) => v.raw) };
  const passed = views.filter((v) => v.passed).length;
  const title = opts.title ?? 'vmsec report';
  const exportButton = `<button type="button" id="export" title="Save the results as JSON">Export JSON</button>`;
  return `${pageHead(title, csp, STYLE)}
<body data-mode="${opts.mode}">
<header>
<h1>${esc(title)}</h1>
<p class="summary"><span class="${passed === views.length ? 'ok' : 'fail'}">${passed === views.length ? '✓' : '✗'}</span> ${views.length} scenario${views.length === 1 ? '' : 's'}: ${passed} passed, ${views.length - passed} failed</p>
${exportButton}
</header>
<nav><ul>${views.map((v, i) => `<li><a href="#s${i}">${mark(v.passed)} ${esc(v.name)}</a></li>`).join('')}</ul></nav>
<main>
${views.map((v, i) => scenarioSection(v, i, opts.mode === 'webview', opts.previous?.find((p) => p.name === v.name))).join('\n')}
</main>
<script type="application/json" id="vmsec-data">${scriptJson(data)}</script>
${script}
</body>
</html>
`;
}

/**
 * Many seeds of a file's scenarios (vmsec.runSeeds) as one page, in the same
 * modes, CSP and style as the results view: per scenario its pass rate with
 * the 95% interval and the command that reproduces a failing seed, a row per
 * expectation (click: reveal it), each quantity's min/median/p95/max and a
 * histogram drawn as inline SVG (readable without the script).
 */
export function renderSeedsHtml(result: SeedsResult, opts: ReportOptions): string {
  const { nonce, csp, script } = pageFrame(opts);
  const data: ReportData = { mode: opts.mode, scenarios: [], raw: [result] };
  const name = decodeURIComponent(result.uri.slice(result.uri.lastIndexOf('/') + 1)) || result.uri;
  const title = opts.title ?? `vmsec: ${name} with seeds ${result.seeds}`;
  const ok = result.passed === result.runs;
  const n = result.scenarios.length;
  return `${pageHead(title, csp, STYLE + SEEDS_STYLE)}
<body data-mode="${opts.mode}" class="seeds">
<header>
<h1>${esc(title)}</h1>
<p class="summary">${mark(ok)} ${result.runs} run${result.runs === 1 ? '' : 's'} of ${n} scenario${n === 1 ? '' : 's'} with seeds ${esc(result.seeds)}: ${result.passed} passed, ${result.runs - result.passed} failed</p>
<button type="button" id="export" title="Save the results as JSON">Export JSON</button>
</header>
<nav><ul>${result.scenarios.map((s, i) => `<li><a href="#s${i}">${mark(s.runs > 0 ? s.passed === s.runs : null)} ${esc(s.name)}</a></li>`).join('')}</ul></nav>
<main>
${result.scenarios.map((s, i) => seedsSection(s, i, result.seeds, opts.mode === 'webview')).join('\n')}
</main>
<script type="application/json" id="vmsec-data">${scriptJson(data)}</script>
${script}
</body>
</html>
`;
}

const pctText = (rate: number) => `${(rate * 100).toFixed(1)}%`;
const ciPct = (ci: [number, number]) => `${(ci[0] * 100).toFixed(1)}–${(ci[1] * 100).toFixed(1)}%`;
const numText = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 3 });
const seedsText = (seeds: number[], count: number) => `${seeds.join(', ')}${count > seeds.length ? ` and ${count - seeds.length} more` : ''}`;

function seedsSection(s: SeedsScenario, i: number, seeds: string, webview: boolean): string {
  const loc: ItemLoc = { uri: s.uri, range: s.range };
  const head = `<h2>${mark(s.runs > 0 ? s.passed === s.runs : null)} ${esc(s.name)} <small>seeds ${esc(seeds)} · ${locLink(loc, webview)}</small></h2>`;
  if (s.cancelled || s.error) return `<section class="scenario" id="s${i}">${head}<p class="fail">${esc(s.error ?? 'stopped before it finished')}</p></section>`;
  const rate = `<p class="rate" data-rate="${s.rate}"><b>${s.passed}/${s.runs} runs passed</b> (${pctText(s.rate)}, 95% CI ${ciPct(s.ci)})${s.failingCount ? ` · fails with seeds ${esc(seedsText(s.failingSeeds.slice(0, 20), s.failingCount))}` : ''}</p>`
    + (s.reproduce ? `<p class="reproduce">Reproduce a failing seed: <code>${esc(s.reproduce)}</code></p>` : '');
  const exps = s.expectations.map((e) => {
    const l: ItemLoc = { uri: s.uri, range: e.range };
    const failing = e.firstFailure ? `${esc(seedsText(e.failingSeeds.slice(0, 20), e.failingCount))} <small>(seed ${e.firstFailure.seed} saw ${esc(e.firstFailure.actual)})</small>` : '';
    return `<tr data-loc="${esc(JSON.stringify(l))}" tabindex="0"><td>${mark(e.passed === e.runs)} ${esc(e.text)}</td><td>${e.passed}/${e.runs}</td><td>${pctText(e.rate)}</td><td>${ciPct(e.ci)}</td><td>${failing}</td><td>${locLink(l, webview)}</td></tr>`;
  }).join('\n');
  const errors = s.errors.length ? `<ul class="errors">${s.errors.map((e) => `<li data-loc="${esc(JSON.stringify({ uri: s.uri, range: e.range }))}">${mark(false)} step error in ${e.runs}/${s.runs} runs (seeds ${esc(e.seeds.slice(0, 20).join(', '))}): ${esc(e.message)}</li>`).join('')}</ul>` : '';
  const qs = s.quantities.map((q) => `<tr><td title="${esc(q.description)}">${esc(q.name)}</td><td>${numText(q.min)}</td><td>${numText(q.median)}</td><td>${numText(q.p95)}</td><td>${numText(q.max)}</td><td>${q.n}</td></tr>`).join('\n');
  return `<section class="scenario seeds" id="s${i}" data-index="${i}">
${head}
${rate}
<table class="expectations">
<caption>Expectations <small>(${s.expectations.length})</small></caption>
<thead><tr><th>expectation</th><th>passed</th><th>pass rate</th><th>95% CI</th><th>failing seeds</th><th>source</th></tr></thead>
<tbody>${exps}</tbody>
</table>
${errors}
${s.quantities.length ? `<table class="quantities">
<caption>Quantities <small>(${s.quantities.length})</small></caption>
<thead><tr><th>quantity</th><th>min</th><th>median</th><th>p95</th><th>max</th><th>runs</th></tr></thead>
<tbody>${qs}</tbody>
</table>
<div class="histograms">${s.quantities.map((q) => histogramSvg(q)).join('')}</div>` : ''}
</section>`;
}

/** A quantity's histogram as inline SVG: a bar per bin, its range and count in the bar's title. */
function histogramSvg(q: SeedsQuantity): string {
  const W = 320; const H = 110; const pad = 16;
  const bins = q.histogram;
  if (!bins.length) return '';
  const top = Math.max(...bins.map((b) => b.count), 1);
  const bw = (W - 2 * pad) / bins.length;
  const bars = bins.map((b, i) => {
    const h = ((H - 2 * pad) * b.count) / top;
    return `<rect x="${(pad + i * bw).toFixed(1)}" y="${(H - pad - h).toFixed(1)}" width="${Math.max(1, bw - 1).toFixed(1)}" height="${h.toFixed(1)}"><title>${esc(`${numText(b.from)} – ${numText(b.to)}: ${b.count} run${b.count === 1 ? '' : 's'}`)}</title></rect>`;
  }).join('');
  return `<figure class="histogram" data-quantity="${esc(q.name)}"><svg role="img" aria-label="${esc(`histogram of ${q.name}`)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}">${bars}`
    + `<text x="${pad}" y="${H - 3}">${esc(numText(bins[0].from))}</text><text x="${W - pad}" y="${H - 3}" text-anchor="end">${esc(numText(bins[bins.length - 1].to))}</text></svg>`
    + `<figcaption>${esc(q.name)} <small>${esc(q.description)}</small></figcaption></figure>`;
}

const SEEDS_STYLE = `
.rate { font-size: 1.05em; }
.reproduce code { user-select: all; }
.histograms { display: flex; flex-wrap: wrap; gap: 1em; }
figure.histogram { margin: 0; }
figure.histogram figcaption { font-weight: normal; }
figure.histogram rect { fill: var(--vscode-charts-blue, #3b82f6); }
figure.histogram text { font-size: 10px; fill: currentColor; opacity: .7; }
ul.errors { padding-left: 1.2em; }
`;

function mark(ok: boolean | null): string {
  return ok === null ? '' : `<span class="${ok ? 'ok' : 'fail'}">${ok ? '✓' : '✗'}</span>`;
}

/** `main.vmsec:12`, from a file URI. */
export function where(loc: ItemLoc): string {
  const name = decodeURIComponent(loc.uri.slice(loc.uri.lastIndexOf('/') + 1)) || loc.uri;
  return `${name}:${loc.range.start.line + 1}`;
}

/** A link to a source location: the webview's script turns it into a reveal; the static report opens the file. */
function locLink(loc: ItemLoc | undefined, webview: boolean, text?: string): string {
  if (!loc) return '';
  const href = webview || !loc.uri.startsWith('file:') ? '#' : `${loc.uri}#L${loc.range.start.line + 1}`;
  return `<a class="loc" href="${esc(href)}" data-loc="${esc(JSON.stringify(loc))}">${esc(text ?? where(loc))}</a>`;
}

function scenarioSection(v: ScenarioRunView, i: number, webview: boolean, previous: ScenarioRunView | undefined): string {
  const scenarioLoc: ItemLoc = { uri: v.uri, range: v.range };
  const diff = previous ? diffViews(previous, v) : undefined;
  const diffHtml = diff === undefined ? '' : `<section class="diff"><h3>Since the previous run</h3>${diff.length
    ? `<ul>${diff.map((d) => `<li${d.loc ? ` data-loc="${esc(JSON.stringify(d.loc))}"` : ''}>${esc(d.text)} ${locLink(d.loc, webview)}</li>`).join('')}</ul>`
    : '<p>No change.</p>'}</section>`;
  const hasTimeline = v.timeline.length > 0;
  return `<section class="scenario" id="s${i}" data-index="${i}">
<h2>${mark(v.passed)} ${esc(v.name)} <small>seed ${v.seed} · ${locLink(scenarioLoc, webview)}</small></h2>
${diffHtml}
${hasTimeline ? `<figure class="chart"><figcaption>Timeline (simulated ms)</figcaption><div class="lanes"><canvas id="lanes${i}" role="img" aria-label="timeline of ${esc(v.name)}"></canvas></div><div class="rates"><canvas id="rates${i}" role="img" aria-label="page and attack rates of ${esc(v.name)}"></canvas></div><p class="noscript">The chart needs the view script.</p></figure>` : ''}
${v.tables.map((t) => table(t, webview)).join('\n')}
</section>`;
}

function table(t: ScenarioRunView['tables'][number], webview: boolean): string {
  return `<table>
<caption>${esc(t.title)} <small>(${t.rows.length})</small></caption>
<thead><tr>${t.columns.map((c) => `<th>${esc(c)}</th>`).join('')}<th>source</th></tr></thead>
<tbody>${t.rows.map((r) => `<tr${r.loc ? ` data-loc="${esc(JSON.stringify(r.loc))}" tabindex="0"` : ''}>${r.cells.map((c) => `<td>${cell(c)}</td>`).join('')}<td>${locLink(r.loc, webview)}</td></tr>`).join('\n')}</tbody>
</table>`;
}

function cell(c: string): string {
  const e = esc(c);
  return e.startsWith('✓') ? `<span class="ok">✓</span>${e.slice(1)}` : e.startsWith('✗') ? `<span class="fail">✗</span>${e.slice(1)}` : e;
}

const STYLE = `
:root { color-scheme: light dark; }
body { margin: 0; padding: 0 1.2em 2em; color: var(--vscode-editor-foreground, #1f2328); background: var(--vscode-editor-background, #ffffff);
  font-family: var(--vscode-font-family, system-ui, -apple-system, "Segoe UI", sans-serif); font-size: var(--vscode-font-size, 13px); }
header { display: flex; align-items: baseline; gap: 1em; flex-wrap: wrap; border-bottom: 1px solid var(--vscode-panel-border, #d0d7de); }
h1 { font-size: 1.4em; margin: .6em 0; }
h2 { font-size: 1.2em; margin: 1.2em 0 .4em; }
h2 small { font-weight: normal; opacity: .75; }
nav ul { list-style: none; padding: 0; display: flex; gap: 1.2em; flex-wrap: wrap; }
a { color: var(--vscode-textLink-foreground, #0969da); text-decoration: none; }
a:hover { text-decoration: underline; }
.ok { color: var(--vscode-testing-iconPassed, #1a7f37); font-weight: bold; }
.fail { color: var(--vscode-testing-iconFailed, #cf222e); font-weight: bold; }
button { color: var(--vscode-button-foreground, #fff); background: var(--vscode-button-background, #0969da); border: none; padding: .35em .9em; border-radius: 2px; cursor: pointer; }
button:hover { background: var(--vscode-button-hoverBackground, #0550ae); }
table { border-collapse: collapse; margin: .8em 0 1.2em; width: 100%; }
caption { text-align: left; font-weight: bold; padding: .3em 0; }
th, td { text-align: left; padding: .2em .6em; border-bottom: 1px solid var(--vscode-panel-border, #d0d7de); vertical-align: top; }
tbody tr[data-loc] { cursor: pointer; }
tbody tr:hover, tbody tr:focus { background: var(--vscode-list-hoverBackground, #f0f3f6); outline: none; }
.diff { border-left: 3px solid var(--vscode-editorInfo-foreground, #0969da); padding: .1em .8em; margin: .6em 0; }
.diff h3 { font-size: 1em; margin: .4em 0; }
figure.chart { margin: .6em 0; }
figcaption { font-weight: bold; padding: .3em 0; }
.lanes { position: relative; width: 100%; }
.rates { position: relative; width: 100%; height: 160px; }
body.drawn .noscript { display: none; }
`;
