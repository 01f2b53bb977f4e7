import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  /** One value per time; null (or NaN) leaves a gap. */
  values: (number | null)[];
}

const PALETTE = ['#2557d6', '#d62f7b', '#1f9d55', '#c77d0a', '#7a4ad6', '#0f8a8a', '#8a5a0f'];
const AXIS = { stroke: '#888', grid: { stroke: '#8883', width: 1 }, ticks: { stroke: '#8883', width: 1 } };
/** Tick steps of whole numbers, for counts. */
const WHOLE = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7];
/** The x axis spans at least this much (seconds), so that the first seconds of history do not fill it. */
const MIN_SPAN_S = 60;

const CLOCK = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });

/** A tick label without trailing zeros: `5.00 ms` → `5 ms`, `0.50` → `0.5`. */
const trim = (text: string) => text.replace(/(\.\d*?)0+(?=\D|$)/, '$1').replace(/\.(?=\D|$)/, '');

/**
 * A time series chart (uPlot) over the console's history. `times` are epoch seconds. It follows
 * its box's width (down to a phone's), keeps its instance across updates (only the data change),
 * and is an image to assistive technology: `label` names it and should carry the current values,
 * which the page also shows as text next to it.
 */
export function ConsoleChart({ label, times, series, format, height = 160, max, floor = 1, integers = false }: {
  label: string;
  times: number[];
  series: ChartSeries[];
  /** Values as the axis and legend write them (with their unit). */
  format: (v: number) => string;
  height?: number;
  /** A fixed top of the scale (ratios); otherwise it follows the data. */
  max?: number;
  /** The lowest top the scale has when the data are all small (so that an idle chart does not magnify noise). */
  floor?: number;
  /** Whole-number ticks only (counts). */
  integers?: boolean;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = `${series.map((s) => s.label).join('\n')}|${height}|${max}|${floor}|${integers}`;
  const drawnShape = useRef('');
  const formatRef = useRef(format);
  formatRef.current = format;

  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const data: uPlot.AlignedData = [times, ...series.map((s) => s.values.map((v) => (v === null || Number.isNaN(v) ? null : v)))];
    if (plot.current !== null && drawnShape.current === shape) {
      plot.current.setData(data);
      return;
    }
    plot.current?.destroy();
    drawnShape.current = shape;
    plot.current = new uPlot(
      {
        width: Math.max(120, el.clientWidth),
        height,
        legend: { show: series.length > 1, live: false },
        cursor: { drag: { x: false, y: false } },
        series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: PALETTE[i % PALETTE.length], width: 2, spanGaps: false, value: (_: uPlot, v: number | null) => (v === null ? '–' : formatRef.current(v)) }))],
        axes: [
          // One line of local clock time per tick (uPlot's default adds a date line that a narrow chart clips).
          { ...AXIS, space: 70, values: (_: uPlot, ticks: number[]) => ticks.map((t) => CLOCK.format(t * 1000)) },
          {
            ...AXIS,
            ...(integers ? { incrs: WHOLE } : {}),
            values: (_: uPlot, ticks: number[]) => ticks.map((v) => trim(formatRef.current(v))),
            // As wide as the longest label (at most 8 px a character at the axis' 12 px font), plus the ticks and gap.
            size: (_: uPlot, values: string[] | null) => 20 + 8 * Math.max(2, ...(values ?? []).map((v) => (v ?? '').length)),
          },
        ],
        scales: {
          x: { time: true, range: (_u: uPlot, lo: number | null, hi: number | null) => (lo === null || hi === null ? [lo, hi] : [Math.min(lo, hi - MIN_SPAN_S), hi]) },
          y: { range: (_u: uPlot, _lo: number | null, hi: number | null) => [0, max ?? Math.max(floor, (hi ?? 0) * 1.1)] },
        },
      },
      data,
      el,
    );
  });

  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const resize = new ResizeObserver(() => {
      const width = Math.max(120, el.clientWidth);
      if (plot.current !== null && plot.current.width !== width) plot.current.setSize({ width, height: plot.current.height });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
      drawnShape.current = '';
    };
  }, []);

  return <div ref={box} className="console-chart" role="img" aria-label={label} />;
}
