/** Small hand-written SVG charts (no library): grouped daily bars and a quota gauge. */

export interface Series {
  key: string;
  label: string;
  color: string;
}

function niceMax(v: number): number {
  if (v <= 4) return 4;
  const p = 10 ** Math.floor(Math.log10(v));
  const n = v / p;
  return (n <= 2 ? 2 : n <= 5 ? 5 : 10) * p;
}

/** Daily grouped bars: `data` rows carry `date` (YYYY-MM-DD) and one number per series key. */
export function BarChart({ data, series, title, height = 180 }: { data: Record<string, number | string>[]; series: Series[]; title: string; height?: number }) {
  const width = 640;
  const pad = { l: 36, r: 8, t: 10, b: 24 };
  const innerW = width - pad.l - pad.r;
  const innerH = height - pad.t - pad.b;
  const max = niceMax(Math.max(0, ...data.flatMap((d) => series.map((s) => Number(d[s.key]) || 0))));
  const slot = innerW / Math.max(1, data.length);
  const bar = Math.max(1, (slot * 0.8) / series.length);
  const y = (v: number) => pad.t + innerH - (v / max) * innerH;
  const every = Math.ceil(data.length / 8);
  const summary = series.map((s) => `${s.label} ${data.reduce((n, d) => n + (Number(d[s.key]) || 0), 0)}`).join(", ");
  return (
    <figure style={{ margin: 0 }}>
      <svg class="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${title}: ${summary}`}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={pad.l} x2={width - pad.r} y1={y(max * f)} y2={y(max * f)} stroke="#e2e7e4" />
            <text x={pad.l - 6} y={y(max * f) + 4} text-anchor="end">{Math.round(max * f)}</text>
          </g>
        ))}
        {data.map((d, i) => (
          <g key={String(d.date)}>
            {series.map((s, j) => {
              const v = Number(d[s.key]) || 0;
              return (
                <rect key={s.key} x={pad.l + i * slot + slot * 0.1 + j * bar} y={y(v)} width={bar} height={Math.max(0, pad.t + innerH - y(v))} fill={s.color} rx={1}>
                  <title>{`${d.date} ${s.label}: ${v}`}</title>
                </rect>
              );
            })}
            {i % every === 0 && (
              <text x={pad.l + i * slot + slot / 2} y={height - 6} text-anchor="middle">{String(d.date).slice(5).replace("-", "/")}</text>
            )}
          </g>
        ))}
      </svg>
      <figcaption class="legend">
        {series.map((s) => (
          <span key={s.key}><i style={{ background: s.color }} />{s.label}</span>
        ))}
      </figcaption>
    </figure>
  );
}

/** A horizontal gauge: used of limit. */
export function Gauge({ used, limit, label }: { used: number; limit: number; label: string }) {
  const f = limit > 0 ? Math.min(1, used / limit) : 0;
  const color = f >= 0.9 ? "#c62828" : f >= 0.7 ? "#f0b400" : "#06c755";
  return (
    <svg class="chart" viewBox="0 0 300 18" role="img" aria-label={`${label}: ${used} / ${limit}`}>
      <rect x={0} y={0} width={300} height={18} rx={9} fill="#e7ece9" />
      <rect x={0} y={0} width={Math.max(f > 0 ? 9 : 0, 300 * f)} height={18} rx={9} fill={color} />
    </svg>
  );
}
