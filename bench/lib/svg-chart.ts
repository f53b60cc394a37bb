// Plain hand-built SVG line charts for the benches that draw a curve
// (bench/concurrency.ts, bench/fleet.ts): no dependency, a file that diffs.

export interface Series {
  name: string;
  color: string;
  values: number[];
}

export interface ChartOptions {
  /** Left edge of this chart in the document. */
  x0: number;
  title: string;
  /** Label of the y axis (its unit). */
  unit: string;
  /** Label of the x axis. */
  xLabel: string;
  /** One label per point, evenly spaced. */
  labels: string[];
  series: Series[];
}

const label = (v: number) => (v === 0 || v >= 10 ? String(Math.round(v)) : v.toFixed(1));

const WIDTH = 340;
const HEIGHT = 200;
const PAD = 40;

/** One chart, WIDTH × HEIGHT, y from 0 to 1.1 × the largest value. */
export function lineChart(o: ChartOptions): string {
  const { x0 } = o;
  const max = Math.max(...o.series.flatMap((s) => s.values)) * 1.1 || 1;
  const xs = (i: number) => x0 + PAD + (i * (WIDTH - PAD - 10)) / Math.max(1, o.labels.length - 1);
  const ys = (v: number) => 30 + (HEIGHT - 30 - PAD) * (1 - v / max);
  const line = (s: Series) =>
    `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${s.values.map((v, i) => `${xs(i).toFixed(1)},${ys(v).toFixed(1)}`).join(' ')}"/>` +
    s.values.map((v, i) => `<circle cx="${xs(i).toFixed(1)}" cy="${ys(v).toFixed(1)}" r="3" fill="${s.color}"/>`).join('');
  const ticks = o.labels.map((l, i) => `<text x="${xs(i).toFixed(1)}" y="${HEIGHT - PAD + 15}" font-size="10" text-anchor="middle">${l}</text>`).join('');
  const top = max / 1.1;
  const yTicks = [0, 0.5, 1].map((f) => `<text x="${x0 + PAD - 4}" y="${ys(top * f).toFixed(1)}" font-size="10" text-anchor="end">${label(top * f)}</text>`).join('');
  return (
    `<text x="${x0 + WIDTH / 2}" y="16" font-size="12" text-anchor="middle" font-weight="bold">${o.title}</text>` +
    `<line x1="${x0 + PAD}" y1="${HEIGHT - PAD}" x2="${x0 + WIDTH - 10}" y2="${HEIGHT - PAD}" stroke="#999"/><line x1="${x0 + PAD}" y1="30" x2="${x0 + PAD}" y2="${HEIGHT - PAD}" stroke="#999"/>` +
    ticks +
    yTicks +
    `<text x="${x0 + WIDTH / 2}" y="${HEIGHT - 8}" font-size="10" text-anchor="middle">${o.xLabel}</text>` +
    `<text x="${x0 + 10}" y="24" font-size="10">${o.unit}</text>` +
    o.series.map(line).join('')
  );
}

/** Charts side by side (350 px apart) with one legend line under them. */
export function svgDocument(charts: string[], legend: Array<Pick<Series, 'name' | 'color'>>): string {
  const width = 350 * charts.length;
  const height = 230;
  const step = 130;
  const left = width / 2 - (legend.length * step) / 2 + 20;
  const keys = legend.map((s, i) => `<rect x="${left + i * step}" y="212" width="10" height="3" fill="${s.color}"/><text x="${left + i * step + 14}" y="217" font-size="10">${s.name}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif"><rect width="${width}" height="${height}" fill="white"/>${charts.join('')}${keys}</svg>\n`;
}
