/**
 * How statistics are written, in the reports and on the app's Results screen alike: fractions with
 * three decimals, signed differences, p-values. Dependency-free, so the renderer bundles it too.
 */

/** A metric value with 3 decimals; '—' for missing. */
export function fixed(value: number | null | undefined, digits = 3): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);
}

export function signed(value: number, digits = 3): string {
  return `${value > 0 ? '+' : value < 0 ? '−' : '±'}${Math.abs(value).toFixed(digits)}`;
}

/** p-values as statisticians print them: 3 significant digits, tiny ones as "< 1e-6". */
export function pValue(p: number): string {
  if (p < 1e-6) return '< 1e-6';
  if (p < 0.001) return p.toExponential(1);
  return p.toFixed(3);
}
