/** Horizontal bars of shares in 0-1 (an A/B test's probability of being best per variant); hand-written SVG. */
export function ProbabilityBars({ rows, title }: { rows: { label: string; value: number | null }[]; title: string }) {
  const width = 640;
  const bar = 22;
  const gap = 10;
  const left = 40;
  const right = 64;
  const height = rows.length * (bar + gap) + gap;
  const inner = width - left - right;
  const summary = rows.map((r) => `${r.label} ${r.value === null ? "—" : `${Math.round(r.value * 100)}%`}`).join(", ");
  return (
    <figure style={{ margin: 0 }} data-testid="ab-chart">
      <svg class="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`${title}: ${summary}`}>
        {rows.map((r, i) => {
          const y = gap + i * (bar + gap);
          const v = Math.max(0, Math.min(1, r.value ?? 0));
          return (
            <g key={r.label} data-testid="ab-bar" data-label={r.label} data-value={r.value ?? ""}>
              <text x={left - 8} y={y + bar / 2 + 5} text-anchor="end">{r.label}</text>
              <rect x={left} y={y} width={inner} height={bar} fill="#eef2ef" rx={3} />
              <rect x={left} y={y} width={inner * v} height={bar} fill="#06c755" rx={3} />
              <text x={left + inner + 8} y={y + bar / 2 + 5}>{r.value === null ? "—" : `${Math.round(r.value * 100)}%`}</text>
            </g>
          );
        })}
      </svg>
      <figcaption class="muted">{title}</figcaption>
    </figure>
  );
}
