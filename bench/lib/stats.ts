// Summary statistics and plain-text tables for the benchmark reports.

export type Summary = {
  count: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
};

/**
 * Summarises samples with nearest-rank percentiles: p95 is the smallest sample that is at least
 * 95 % of all samples. Returns null for an empty list.
 */
export function summarize(samples: readonly number[]): Summary | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (percent: number) => sorted[Math.max(0, Math.ceil((percent / 100) * sorted.length) - 1)]!;

  return {
    count: sorted.length,
    min: sorted[0]!,
    p50: rank(50),
    p95: rank(95),
    p99: rank(99),
    max: sorted[sorted.length - 1]!,
    mean: sorted.reduce((sum, value) => sum + value, 0) / sorted.length,
  };
}

export function median(samples: readonly number[]): number | null {
  return summarize(samples)?.p50 ?? null;
}

/** Formats a number of milliseconds with one decimal, or "-" when there is no value. */
export function formatMs(value: number | null | undefined): string {
  return value === null || value === undefined || Number.isNaN(value) ? "-" : value.toFixed(1);
}

export function formatRatio(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? "-" : `${value.toFixed(2)}x`;
}

/** Renders rows as a table with a header line. Columns in `leftAligned` are left-aligned, the rest right-aligned. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[], leftAligned: readonly number[] = [0]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
  const renderRow = (row: readonly string[]) =>
    row
      .map((cell, column) => (leftAligned.includes(column) ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join("  ")
      .trimEnd();

  return [renderRow(header), widths.map((width) => "-".repeat(width)).join("  "), ...rows.map(renderRow)].join("\n");
}

/** Formats a summary in milliseconds as a table row: count, min, p50, p95, p99, max. */
export function summaryRow(label: string, summary: Summary | null): string[] {
  if (!summary) return [label, "0", "-", "-", "-", "-", "-"];

  return [label, String(summary.count), ...[summary.min, summary.p50, summary.p95, summary.p99, summary.max].map(formatMs)];
}

export const SUMMARY_HEADER = ["", "n", "min ms", "p50 ms", "p95 ms", "p99 ms", "max ms"] as const;
