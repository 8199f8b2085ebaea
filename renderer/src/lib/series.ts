/**
 * Keeps a live series short enough to draw cheaply however long training runs: once it
 * exceeds `limit` points, neighbouring pairs are averaged, halving its length. The shape of
 * the curve survives; the cost of a sparkline stays constant.
 */
export function appendDecimated(series: readonly number[], value: number, limit = 240): number[] {
  const next = [...series, value];
  if (next.length <= limit) return next;
  const halved: number[] = [];
  for (let i = 0; i + 1 < next.length; i += 2) halved.push((next[i]! + next[i + 1]!) / 2);
  if (next.length % 2 === 1) halved.push(next[next.length - 1]!);
  return halved;
}
