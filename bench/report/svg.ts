/**
 * Hand-written SVG charts (no chart dependency): a latency-by-percentile plot in the
 * HdrHistogram style (x stretches the tail: 90, 99, 99.9 are equally spaced; y is logarithmic),
 * and a horizontal bar chart.
 */
import type { Chart } from '../lib/context.js';
import { escapeXml, fmt } from './format.js';

const W = 780;
const H = 440;
const M = { left: 70, right: 24, top: 48, bottom: 56 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;
const COLORS = ['#1b6ac9', '#d1452f', '#2e9e5b', '#8a55c7', '#d48a00', '#4b5563'];
/** x position of p=100 (the maximum), just right of 99.99. */
const X_MAX = 4.5;

function frame(title: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="#ffffff"/>
<text x="${W / 2}" y="24" text-anchor="middle" font-size="15" font-weight="600" fill="#111827">${escapeXml(title)}</text>
${body}
</svg>
`;
}

function tailX(p: number): number {
  return p >= 100 ? X_MAX : Math.min(X_MAX, -Math.log10(1 - p / 100));
}

function niceLogTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) ticks.push(v);
    }
  }
  return ticks;
}

function legend(names: string[]): string {
  return names
    .map((n, i) => {
      const y = M.top + 14 + i * 18;
      return `<rect x="${M.left + 12}" y="${y - 9}" width="14" height="4" fill="${COLORS[i % COLORS.length]}"/><text x="${M.left + 32}" y="${y - 3}" fill="#111827">${escapeXml(n)}</text>`;
    })
    .join('\n');
}

function cdfChart(chart: Chart): string {
  const values = chart.series.flatMap((s) => s.points.map(([, v]) => v)).filter((v) => v > 0 && Number.isFinite(v));
  if (values.length === 0) return frame(chart.title, `<text x="${W / 2}" y="${H / 2}" text-anchor="middle">no data</text>`);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...values)));
  const x = (p: number) => M.left + (tailX(p) / X_MAX) * PW;
  const y = (v: number) => M.top + PH - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * PH;
  const parts: string[] = [];
  for (const t of niceLogTicks(lo, hi)) {
    parts.push(`<line x1="${M.left}" x2="${M.left + PW}" y1="${y(t)}" y2="${y(t)}" stroke="#e5e7eb"/>`);
    parts.push(`<text x="${M.left - 8}" y="${y(t) + 4}" text-anchor="end" fill="#374151">${fmt(t)}</text>`);
  }
  for (const [p, label] of [
    [0, '0%'],
    [90, '90%'],
    [99, '99%'],
    [99.9, '99.9%'],
    [99.99, '99.99%'],
    [100, 'max'],
  ] as const) {
    parts.push(`<line x1="${x(p)}" x2="${x(p)}" y1="${M.top}" y2="${M.top + PH}" stroke="#e5e7eb"/>`);
    parts.push(`<text x="${x(p)}" y="${M.top + PH + 18}" text-anchor="middle" fill="#374151">${label}</text>`);
  }
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${PW}" height="${PH}" fill="none" stroke="#9ca3af"/>`);
  parts.push(`<text x="${M.left + PW / 2}" y="${H - 14}" text-anchor="middle" fill="#111827">percentile of requests (tail stretched)</text>`);
  parts.push(`<text transform="translate(18 ${M.top + PH / 2}) rotate(-90)" text-anchor="middle" fill="#111827">latency, ${escapeXml(chart.unit)} (log scale)</text>`);
  chart.series.forEach((s, i) => {
    const pts = s.points.filter(([, v]) => Number.isFinite(v)).map(([p, v]) => `${x(p).toFixed(1)},${y(v).toFixed(1)}`);
    if (pts.length > 0) parts.push(`<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2" points="${pts.join(' ')}"/>`);
  });
  parts.push(legend(chart.series.map((s) => s.name)));
  return frame(chart.title, parts.join('\n'));
}

function barChart(chart: Chart): string {
  const bars = chart.series.map((s) => ({ name: s.name, value: s.points[0]?.[1] ?? 0 }));
  const max = Math.max(...bars.map((b) => b.value), 1);
  const left = 230;
  const width = W - left - 110;
  const band = PH / Math.max(bars.length, 1);
  const parts = bars.map((b, i) => {
    const y = M.top + i * band + band * 0.2;
    const w = (b.value / max) * width;
    return [
      `<text x="${left - 10}" y="${y + band * 0.35}" text-anchor="end" fill="#111827">${escapeXml(b.name)}</text>`,
      `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${(band * 0.6).toFixed(1)}" fill="${COLORS[i % COLORS.length]}"/>`,
      `<text x="${left + w + 8}" y="${y + band * 0.35}" fill="#111827">${fmt(b.value)} ${escapeXml(chart.unit)}</text>`,
    ].join('\n');
  });
  return frame(chart.title, parts.join('\n'));
}

/** The SVG document for a chart. */
export function renderChart(chart: Chart): string {
  return chart.kind === 'cdf' ? cdfChart(chart) : barChart(chart);
}
