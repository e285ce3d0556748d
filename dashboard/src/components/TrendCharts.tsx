/** The Home trends as hand-written SVG (the geometry is in ../charts.ts). Each chart is an image with
 * a spoken summary, and the figures behind it are a table one click away. */
import {
  RATE_BOX,
  VOLUME_BOX,
  rateChart,
  rateSummary,
  shortDay,
  volumeChart,
  volumeSummary,
  type Box,
  type StatsDay,
  type Tick,
} from "../charts";
import { formatPaise } from "../money";

function Axis({ ticks, box, dayLabels }: { ticks: Tick[]; box: Box; dayLabels: { x: number; label: string }[] }) {
  return (
    <g className="chart-axis" aria-hidden="true">
      {ticks.map((tick) => (
        <g key={tick.value}>
          <line x1={box.left} x2={box.width} y1={tick.y} y2={tick.y} className="chart-grid" />
          <text x={box.left - 6} y={tick.y} dy="0.32em" textAnchor="end">
            {tick.label}
          </text>
        </g>
      ))}
      {dayLabels.map((day) => (
        <text key={day.x} x={day.x} y={box.height - 6} textAnchor="middle">
          {day.label}
        </text>
      ))}
    </g>
  );
}

export function VolumeChart({ days }: { days: StatsDay[] }) {
  const chart = volumeChart(days);
  const box = VOLUME_BOX;
  return (
    <figure className="chart" data-test-id="volume-chart">
      <figcaption className="chart-legend">
        <span className="legend legend-gross">Gross (captured)</span>
        <span className="legend legend-net">Net (after fees, GST and refunds)</span>
      </figcaption>
      <svg viewBox={`0 0 ${box.width} ${box.height}`} role="img" aria-label={volumeSummary(days)} data-test-id="volume-svg">
        <Axis ticks={chart.ticks} box={box} dayLabels={chart.dayLabels} />
        <line x1={box.left} x2={box.width} y1={chart.zeroY} y2={chart.zeroY} className="chart-zero" aria-hidden="true" />
        {chart.gross.map((bar) => (
          <rect key={`g${bar.day}`} className="bar-gross" x={bar.x} y={bar.y} width={bar.width} height={bar.height} data-day={bar.day} data-value={bar.value} data-test-id="gross-bar">
            <title>{bar.label}</title>
          </rect>
        ))}
        {chart.net.map((bar) => (
          <rect key={`n${bar.day}`} className="bar-net" x={bar.x} y={bar.y} width={bar.width} height={bar.height} data-day={bar.day} data-value={bar.value} data-test-id="net-bar">
            <title>{bar.label}</title>
          </rect>
        ))}
      </svg>
      <DataTable days={days} />
    </figure>
  );
}

export function SuccessRateChart({ days }: { days: StatsDay[] }) {
  const chart = rateChart(days);
  const box = RATE_BOX;
  return (
    <figure className="chart" data-test-id="rate-chart">
      <figcaption className="chart-legend">
        <span className="legend legend-upi">UPI</span>
        <span className="legend legend-card">Card</span>
        <span className="muted small">succeeded ÷ finished attempts; no point on a day without any</span>
      </figcaption>
      <svg viewBox={`0 0 ${box.width} ${box.height}`} role="img" aria-label={rateSummary(days)} data-test-id="rate-svg">
        <Axis ticks={chart.ticks} box={box} dayLabels={chart.dayLabels} />
        {chart.lines.map((line) => (
          <g key={line.method} className={`rate-${line.method}`} data-method={line.method}>
            <path d={line.path} className="rate-line" />
            {line.points.map((point) => (
              <circle key={point.day} cx={point.x} cy={point.y} r={3.5} data-day={point.day} data-value={point.rate} data-test-id={`rate-point-${line.method}`}>
                <title>{point.label}</title>
              </circle>
            ))}
          </g>
        ))}
      </svg>
    </figure>
  );
}

/** The figures behind both charts, for anyone who cannot or would rather not read a chart. */
function DataTable({ days }: { days: StatsDay[] }) {
  const rate = (value: number | null) => (value === null ? "—" : `${value.toFixed(1)}%`);
  return (
    <details className="chart-data">
      <summary>Show the figures as a table</summary>
      <div className="table-wrap">
        <table className="table" data-test-id="trends-table">
          <caption className="muted small">Per UTC day; amounts in rupees</caption>
          <thead>
            <tr>
              <th>Day</th>
              <th className="number">Payments</th>
              <th className="number">Gross</th>
              <th className="number">Net</th>
              <th className="number">UPI success</th>
              <th className="number">Card success</th>
            </tr>
          </thead>
          <tbody>
            {days.map((day) => (
              <tr key={day.day} data-test-id="trend-row" data-day={day.day}>
                <td>{shortDay(day.day)}</td>
                <td className="number">{day.count.toLocaleString()}</td>
                <td className="number" data-test-id="trend-gross">{formatPaise(day.gross)}</td>
                <td className="number" data-test-id="trend-net">{formatPaise(day.net)}</td>
                <td className="number">{rate(day.by_method.upi.success_rate)}</td>
                <td className="number">{rate(day.by_method.card.success_rate)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

