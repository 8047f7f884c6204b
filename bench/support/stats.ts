/** The p-th percentile (nearest rank) of `values`; `NaN` when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) {
    return NaN;
  }
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const median = (values: readonly number[]) => percentile(values, 50);

/** Rounds to `digits` decimals (for the table). */
export const round = (value: number, digits = 0) => Number(value.toFixed(digits));

export const latenessOf = (samples: readonly number[]) => ({
  p50: round(percentile(samples, 50), 1),
  p99: round(percentile(samples, 99), 1),
  max: round(
    samples.reduce((a, b) => Math.max(a, b), -Infinity),
    1,
  ),
});
