import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  values: (number | null)[];
  color?: string;
}

/**
 * A time-series line chart (uPlot). `times` are epoch seconds. The chart sizes itself to its box
 * and is redrawn when the data change; `label` names it for screen readers, which also get the
 * latest values as text from the caller.
 */
export function TimeChart({ label, times, series, height = 200, bars = false }: { label: string; times: number[]; series: Series[]; height?: number; bars?: boolean }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = series.map((s) => s.label).join('\n') + (bars ? ' bars' : '');
  const lastShape = useRef('');

  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const data: uPlot.AlignedData = [times, ...series.map((s) => s.values)];
    if (plot.current !== null && lastShape.current === shape) {
      plot.current.setData(data);
      return;
    }
    plot.current?.destroy();
    lastShape.current = shape;
    const palette = ['#2557d6', '#d62f7b', '#1f9d55', '#c77d0a', '#7a4ad6'];
    plot.current = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height,
        legend: { show: series.length > 1 },
        series: [
          {},
          ...series.map((s, i) => ({
            label: s.label,
            stroke: s.color ?? palette[i % palette.length],
            width: 2,
            ...(bars ? { paths: uPlot.paths.bars!({ size: [0.7, 40] }), fill: `${s.color ?? palette[i % palette.length]}99`, points: { show: false } } : {}),
            spanGaps: false,
          })),
        ],
        axes: [{}, { size: 50 }],
        scales: { x: { time: true } },
      },
      data,
      el,
    );
  });

  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [height]);

  return <div ref={box} className="chart" role="img" aria-label={label} />;
}

/** Horizontal bars for counts by value (referrers, browsers...), largest first. */
export function BarList({ title, rows, empty = 'None yet' }: { title: string; rows: { value: string; clicks: number }[]; empty?: string }) {
  const max = Math.max(1, ...rows.map((r) => r.clicks));
  return (
    <div className="card">
      <h3>{title}</h3>
      {rows.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <ul className="bars" aria-label={title}>
          {rows.map((r) => (
            <li key={r.value} className="bar-row">
              <span className="target">{r.value || '(direct)'}</span>
              <span className="bar-fill" style={{ width: `${(100 * r.clicks) / max}%` }} aria-hidden="true" />
              <span>{r.clicks}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
