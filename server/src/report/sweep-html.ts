// A sweep or ablation as one self-contained HTML page: the table of points ×
// metrics and, per metric and scenario, a chart of the median against the
// first varied value (one line per combination of the other varied values).
// Charts are inline SVG: no script, so the page's CSP forbids all scripts.
import type { AblationView, SweepView } from './sweep-view';
import { metricText, numberText } from './sweep-view';
import { scriptJson, type ReportData } from './html';

/**
 * The editor's results view shows the same page in a webview: a nonce'd
 * view script (dist/report-view.js, which turns Export JSON into a message
 * to the editor), the webview's CSP source and its theme colours.
 */
export interface SweepWebview { nonce: string; cspSource: string; scriptUri: string }

/** The first bytes of every sweep page: what lets `--out` replace an earlier one and nothing else. */
export const SWEEP_HTML_MAGIC = '<!DOCTYPE html><!-- vmsec sweep -->';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]!));

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

function page(title: string, body: string, view?: SweepView | AblationView, webview?: SweepWebview): string {
  if (webview && view) {
    if (!/^[A-Za-z0-9+/=_-]{8,}$/.test(webview.nonce)) throw new Error('the nonce must be at least 8 base64 characters');
    const data: ReportData = { mode: 'webview', scenarios: [], raw: [view] };
    body = `<button type="button" id="export" title="Save the sweep as JSON">Export JSON</button>\n${body}
<script type="application/json" id="vmsec-data">${scriptJson(data)}</script>
<script nonce="${webview.nonce}" src="${esc(webview.scriptUri)}"></script>`;
  }
  const csp = webview
    ? `default-src 'none'; img-src ${webview.cspSource} data:; script-src 'nonce-${webview.nonce}'; style-src ${webview.cspSource} 'unsafe-inline'`
    : `default-src 'none'; style-src 'unsafe-inline'`;
  return `${SWEEP_HTML_MAGIC}
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${webview ? esc(csp) : csp}">
<title>${esc(title)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f4f4f4}td.l,th.l{text-align:left}.fail{color:#b00}.ok{color:#070}
svg{background:#fff;border:1px solid #ddd;margin:0.5em 1em 1em 0}figure{display:inline-block;margin:0}
figcaption{font-weight:600}${webview ? `
body{color:var(--vscode-foreground);background:var(--vscode-editor-background)}th{background:var(--vscode-editorWidget-background,#f4f4f4)}
#export{float:right}` : ''}
</style></head><body>
${body}
</body></html>
`;
}

/** A line chart of y against categorical x positions; one series per entry. */
function chart(title: string, xs: string[], series: { name: string; ys: (number | null)[] }[]): string {
  const W = 520, H = 260, L = 60, R = 130, T = 20, B = 40;
  const all = series.flatMap((s) => s.ys).filter((y): y is number => y !== null);
  if (all.length === 0) return `<figure><figcaption>${esc(title)}</figcaption><p>no run measured it</p></figure>`;
  let lo = Math.min(0, ...all), hi = Math.max(...all);
  if (hi === lo) hi = lo + 1;
  const x = (i: number) => L + (xs.length === 1 ? (W - L - R) / 2 : (i * (W - L - R)) / (xs.length - 1));
  const y = (v: number) => T + (H - T - B) * (1 - (v - lo) / (hi - lo));
  const parts: string[] = [];
  parts.push(`<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#888"/><line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#888"/>`);
  for (const v of [lo, (lo + hi) / 2, hi]) parts.push(`<text x="${L - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11">${esc(numberText(v))}</text>`);
  xs.forEach((label, i) => parts.push(`<text x="${x(i)}" y="${H - B + 16}" text-anchor="middle" font-size="11">${esc(label)}</text>`));
  series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length];
    const pts = s.ys.map((v, i) => (v === null ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`));
    const segs: string[][] = [[]];
    for (const p of pts) { if (p === null) segs.push([]); else segs[segs.length - 1].push(p); }
    for (const seg of segs) if (seg.length > 1) parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${seg.join(' ')}"/>`);
    pts.forEach((p) => { if (p) { const [cx, cy] = p.split(','); parts.push(`<circle cx="${cx}" cy="${cy}" r="3" fill="${color}"/>`); } });
    if (s.name) parts.push(`<text x="${W - R + 8}" y="${T + 14 * (k + 1)}" font-size="11" fill="${color}">${esc(s.name)}</text>`);
  });
  return `<figure><figcaption>${esc(title)}</figcaption><svg role="img" aria-label="${esc(title)}" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">${parts.join('')}</svg></figure>`;
}

export function renderSweepHtml(v: SweepView, webview?: SweepWebview): string {
  const body: string[] = [`<h1>Sweep of ${esc(v.file)}</h1>`, `<p>seeds ${esc(v.seeds)}; ${v.points.length} points${v.gridSize !== undefined ? ` sampled from ${v.gridSize}` : ''}; values are medians over seeds.</p>`];
  const metrics = v.metrics.filter((m) => m !== 'pass_rate');
  const first = v.axes[0];
  v.scenarios.forEach((name, s) => {
    // Every metric asked for is a column (pass_rate too, as the text table shows it).
    body.push(`<h2>Scenario “${esc(name)}”</h2><table><tr>${v.axes.map((a) => `<th class="l">${esc(a.path)}</th>`).join('')}${v.metrics.map((m) => `<th>${esc(m)}</th>`).join('')}<th>passed</th></tr>`);
    for (const p of v.points) {
      const c = p.cells[s];
      body.push(`<tr>${v.axes.map((a) => `<td class="l">${esc(p.values[a.path])}</td>`).join('')}${v.metrics.map((m) => `<td>${esc(metricText(m, c.metrics[m]))}</td>`).join('')}<td class="${c.passed === c.runs ? 'ok' : 'fail'}">${c.passed}/${c.runs}</td></tr>`);
    }
    body.push('</table>');
    if (!first) return;
    // Series: one per combination of the other axes' values, in the order points appear.
    const key = (p: SweepView['points'][number]) => v.axes.slice(1).map((a) => `${a.path}=${p.values[a.path]}`).join(' ');
    const seriesKeys = [...new Set(v.points.map(key))];
    // The first point of each (first value, series), found once: a grid of 10,000 points is not searched per chart dot.
    const byPlace = new Map<string, SweepView['points'][number]>();
    for (const q of v.points) {
      const place = `${q.values[first.path]}\u0000${key(q)}`;
      if (!byPlace.has(place)) byPlace.set(place, q);
    }
    for (const m of [...metrics, 'pass_rate']) {
      const series = seriesKeys.map((k) => ({
        name: k,
        ys: first.values.map((val) => {
          const p = byPlace.get(`${val}\u0000${k}`);
          if (!p) return null;
          return m === 'pass_rate' ? p.cells[s].pass_rate : p.cells[s].metrics[m] ?? null;
        }),
      }));
      body.push(chart(`${m} against ${first.path}`, first.values, series));
    }
  });
  return page(`vmsec sweep: ${v.file}`, body.join('\n'), v, webview);
}

export function renderAblationHtml(v: AblationView, webview?: SweepWebview): string {
  const body: string[] = [`<h1>Ablation of ${esc(v.file)}</h1>`, `<p>seeds ${esc(v.seeds)}. Each row switches off one defence; an expectation is carried by it when it passes as written and fails without it.</p>`];
  body.push('<table><tr><th class="l">defence</th><th>line</th><th>carries</th><th class="l">expectations that fail without it</th></tr>');
  for (const d of v.defences) {
    const items = [
      ...d.carries.map((c) => `line ${c.line} ${c.text} (“${c.scenario}”, seeds ${c.seeds.join(', ')})`),
      ...d.errors.map((e) => `line ${e.line} error: ${e.message}`),
    ];
    body.push(`<tr><td class="l">${esc(d.label)}</td><td>${d.line}</td><td class="${items.length ? 'fail' : ''}">${items.length}</td><td class="l">${items.map(esc).join('<br>') || '—'}</td></tr>`);
  }
  for (const r of v.refused) body.push(`<tr><td class="l">${esc(r.label)}</td><td>${r.line}</td><td>—</td><td class="l">cannot be switched off: ${esc(r.reason)}</td></tr>`);
  body.push('</table>');
  const counts = v.defences.map((d) => d.carries.length + d.errors.length);
  body.push(chart('expectations carried per defence', v.defences.map((_, i) => String(i + 1)), [{ name: '', ys: counts }]));
  body.push(`<ol>${v.defences.map((d) => `<li>${esc(d.label)}</li>`).join('')}</ol>`);
  return page(`vmsec ablation: ${v.file}`, body.join('\n'), v, webview);
}
