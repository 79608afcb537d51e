/** One uPlot chart over a stats series: a few named lines sharing the time axis. */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Stats, Totals } from './api.js';

const COLORS = ['#2563eb', '#dc2626', '#d97706', '#7c3aed', '#059669'];

export function Chart({ title, stats, fields }: { title: string; stats: Stats; fields: Array<keyof Totals> }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!box.current) return undefined;
    const data: uPlot.AlignedData = [stats.series.map((p) => p.t / 1000), ...fields.map((f) => stats.series.map((p) => p[f]))];
    const plot = new uPlot(
      {
        width: Math.max(320, box.current.clientWidth || 480),
        height: 200,
        series: [{}, ...fields.map((f, i) => ({ label: f, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true, points: { show: true, size: 4 } }))],
        // Costs are fractions of a cent: show them in exponent form rather than as 0.
        axes: [{}, { size: 70, values: (_u: uPlot, ticks: number[]) => ticks.map((v) => (v !== 0 && Math.abs(v) < 0.01 ? v.toExponential(1) : String(v))) }],
      },
      data,
      box.current,
    );
    return () => plot.destroy();
  }, [stats, fields.join(',')]);
  return (
    <section class="chart" data-chart={title}>
      <h3>{title}</h3>
      <div ref={box} />
    </section>
  );
}
