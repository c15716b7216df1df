/// <reference lib="dom" />
// The results view's browser script, shared by the editor's webview and the
// static report: reads the page's embedded JSON, draws each scenario's
// timeline with Chart.js (bundled, no CDN), and turns clicks on rows, links
// and chart marks into "reveal this source range" (webview) or a file link
// (static report). Export JSON asks the editor, or downloads the embedded data.
import {
  BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip,
  type ChartEvent, type ActiveElement,
} from 'chart.js';
import type { ReportData } from '../html';
import type { ItemLoc, TimelineEvent } from '../view-model';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Tooltip, Legend);

interface VsCodeApi { postMessage(m: unknown): void }
declare function acquireVsCodeApi(): VsCodeApi;

const data = JSON.parse(document.getElementById('vmsec-data')?.textContent ?? '{}') as ReportData;
const vscode: VsCodeApi | undefined = data.mode === 'webview' && typeof acquireVsCodeApi === 'function' ? acquireVsCodeApi() : undefined;

function reveal(loc: ItemLoc): void {
  if (vscode) { vscode.postMessage({ type: 'reveal', uri: loc.uri, range: loc.range }); return; }
  if (loc.uri.startsWith('file:')) window.location.href = `${loc.uri}#L${loc.range.start.line + 1}`;
}

function locOf(el: Element | null): ItemLoc | undefined {
  const holder = el?.closest('[data-loc]');
  const raw = holder?.getAttribute('data-loc');
  if (!raw) return undefined;
  try { return JSON.parse(raw) as ItemLoc; } catch { return undefined; }
}

document.addEventListener('click', (e) => {
  const target = e.target as Element | null;
  const link = target?.closest('a.loc');
  // Static report: a link opens the file itself; a row click follows its link.
  if (link && !vscode) return;
  if (target?.closest('a[href^="#s"]')) return;
  const loc = locOf(target);
  if (!loc) return;
  e.preventDefault();
  reveal(loc);
});
document.addEventListener('keydown', (e) => {
  if (e.key !== 'Enter') return;
  const loc = locOf(e.target as Element);
  if (loc) { e.preventDefault(); reveal(loc); }
});

document.getElementById('export')?.addEventListener('click', () => {
  if (vscode) { vscode.postMessage({ type: 'export' }); return; }
  const blob = new Blob([JSON.stringify({ scenarios: data.raw }, null, 2)], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = 'vmsec-results.json';
  document.body.appendChild(a);
  a.click();
  a.remove();
});

/** Theme colours: VS Code's variables in the webview, fallbacks in the static report. */
function colour(name: string, fallback: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
}

const KIND_COLOUR: Record<string, [string, string]> = {
  'fork-phase': ['--vscode-charts-blue', '#3b82f6'],
  attestation: ['--vscode-charts-purple', '#8b5cf6'],
  monitor: ['--vscode-charts-orange', '#f59e0b'],
  checkpoint: ['--vscode-charts-green', '#16a34a'],
  move: ['--vscode-charts-yellow', '#ca8a04'],
  tap: ['--vscode-charts-red', '#dc2626'],
};
const KIND_NAME: Record<string, string> = {
  'fork-phase': 'fork phases', attestation: 'attestations', monitor: 'monitor decisions', checkpoint: 'checkpoints', move: 'restores and migrations', tap: 'attacker saw the marker',
};

interface Mark { x: [number, number]; y: string; ev: TimelineEvent }
interface RatePoint { x: number; y: number; ev: TimelineEvent }

function draw(index: number, events: TimelineEvent[]): void {
  const fg = colour('--vscode-editor-foreground', '#1f2328');
  const grid = colour('--vscode-panel-border', 'rgba(127,127,127,0.25)');
  const failed = colour('--vscode-testing-iconFailed', '#cf222e');
  Chart.defaults.color = fg;
  Chart.defaults.font.family = colour('--vscode-font-family', 'system-ui, sans-serif');

  const marks = events.filter((e) => e.kind !== 'page-rate' && e.kind !== 'attack');
  const lanes = [...new Set(marks.map((e) => e.lane))];
  const end = Math.max(1, ...events.map((e) => e.endMs ?? e.startMs));
  const onClick = (_e: ChartEvent, els: ActiveElement[], chart: Chart) => {
    const el = els[0];
    if (!el) return;
    const point = chart.data.datasets[el.datasetIndex].data[el.index] as unknown as { ev: TimelineEvent };
    if (point?.ev.loc) reveal(point.ev.loc);
  };

  const lanesCanvas = document.getElementById(`lanes${index}`) as HTMLCanvasElement | null;
  if (lanesCanvas && lanes.length) {
    lanesCanvas.parentElement!.style.height = `${Math.min(1200, 60 + lanes.length * 22)}px`;
    const kinds = [...new Set(marks.map((e) => e.kind))];
    const bases = kinds.map((kind) => { const [v, f] = KIND_COLOUR[kind] ?? ['--vscode-charts-foreground', '#888']; return colour(v, f); });
    new Chart(lanesCanvas, {
      type: 'bar',
      data: {
        labels: lanes,
        datasets: kinds.map((kind) => {
          const [v, f] = KIND_COLOUR[kind] ?? ['--vscode-charts-foreground', '#888'];
          const base = colour(v, f);
          const data: Mark[] = marks.filter((e) => e.kind === kind).map((e) => ({ x: [e.startMs, e.endMs ?? e.startMs], y: e.lane, ev: e }));
          return {
            label: KIND_NAME[kind] ?? kind, data: data as never,
            // Scriptable, so the legend shows the kind's colour and a failed mark shows red.
            backgroundColor: (c: { raw?: unknown }) => ((c.raw as Mark | undefined)?.ev.ok === false ? failed : base),
            borderColor: (c: { raw?: unknown }) => ((c.raw as Mark | undefined)?.ev.ok === false ? failed : base),
            borderWidth: 1, minBarLength: 4, grouped: false, barPercentage: 0.9, categoryPercentage: 0.9,
          };
        }),
      },
      options: {
        indexAxis: 'y', responsive: true, maintainAspectRatio: false, animation: false, onClick,
        scales: {
          x: { type: 'linear', min: 0, max: end, title: { display: true, text: 'simulated ms' }, grid: { color: grid } },
          y: { type: 'category', grid: { color: grid } },
        },
        plugins: {
          // The legend shows each kind's own colour, not its first mark's (which may be a failure).
          legend: {
            position: 'bottom',
            labels: {
              generateLabels: (chart) => Chart.defaults.plugins.legend.labels.generateLabels(chart)
                .map((l) => ({ ...l, fillStyle: bases[l.datasetIndex ?? 0], strokeStyle: bases[l.datasetIndex ?? 0] })),
            },
          },
          tooltip: {
            callbacks: {
              label: (item) => {
                const ev = (item.raw as Mark).ev;
                const span = ev.endMs !== undefined && ev.endMs !== ev.startMs ? `${fmt(ev.startMs)}–${fmt(ev.endMs)} ms` : `${fmt(ev.startMs)} ms`;
                return `${ev.label} (${span})`;
              },
            },
          },
        },
      },
    });
  }

  const rates = events.filter((e) => e.kind === 'page-rate' || e.kind === 'attack');
  const ratesCanvas = document.getElementById(`rates${index}`) as HTMLCanvasElement | null;
  if (ratesCanvas && rates.length) {
    const series = [...new Set(rates.map((e) => `${e.lane}: ${e.label}`))];
    const palette = ['--vscode-charts-blue', '--vscode-charts-red', '--vscode-charts-green', '--vscode-charts-orange', '--vscode-charts-purple', '--vscode-charts-yellow'];
    const fallbacks = ['#3b82f6', '#dc2626', '#16a34a', '#f59e0b', '#8b5cf6', '#ca8a04'];
    new Chart(ratesCanvas, {
      type: 'line',
      data: {
        datasets: series.map((name, k) => {
          const c = colour(palette[k % palette.length], fallbacks[k % fallbacks.length]);
          const data: RatePoint[] = rates.filter((e) => `${e.lane}: ${e.label}` === name)
            .map((e) => ({ x: (e.startMs + (e.endMs ?? e.startMs)) / 2, y: perSecond(e), ev: e }));
          return { label: name, data: data as never, borderColor: c, backgroundColor: c, pointRadius: 2, tension: 0, parsing: false as const };
        }),
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, onClick,
        scales: {
          x: { type: 'linear', min: 0, max: end, title: { display: true, text: 'simulated ms' }, grid: { color: grid } },
          y: { type: 'linear', beginAtZero: true, title: { display: true, text: 'per second' }, grid: { color: grid } },
        },
        plugins: { legend: { position: 'bottom' } },
      },
    });
  }
}

function perSecond(e: TimelineEvent): number {
  const width = (e.endMs ?? e.startMs) - e.startMs;
  return width > 0 ? Math.round(((e.value ?? 0) * 1000) / width) : e.value ?? 0;
}

function fmt(x: number): string { return x.toLocaleString('en-US', { maximumFractionDigits: 2 }); }

(data.scenarios ?? []).forEach((s, i) => {
  try { draw(i, s.timeline); } catch (e) { console.error('vmsec report: chart failed', e); }
});
document.body.classList.add('drawn');
