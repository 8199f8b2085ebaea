/**
 * Plain words for how one recipe compares with the baseline along a sweep, from the paired
 * intervals of each setting: "ahead" where the interval of the balanced-accuracy difference lies
 * above zero, "behind" where it lies below, "not distinguishable" where it includes zero.
 */

export type ContrastStatus = 'ahead' | 'behind' | 'tie';

export function pointStatus(comparison: { difference: number; significant: boolean }): ContrastStatus {
  if (!comparison.significant) return 'tie';
  return comparison.difference > 0 ? 'ahead' : 'behind';
}

/** A value on the axis as a person writes it: 10, 0.5, 12.3 (three significant digits at most). */
export function formatX(x: number): string {
  return String(Number(x.toPrecision(3)));
}

function phrase(status: ContrastStatus, a: string, b: string): string {
  if (status === 'ahead') return `${a} is ahead of ${b}`;
  if (status === 'behind') return `${a} is behind ${b}`;
  return `${a} and ${b} are not distinguishable`;
}

function belowClause(status: ContrastStatus, a: string): string {
  if (status === 'ahead') return `${a} is ahead`;
  if (status === 'behind') return `${a} is behind`;
  return 'they are not distinguishable';
}

function list(xs: string[]): string {
  return xs.length <= 1 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`;
}

/**
 * One sentence. Points must be in increasing x. A single change reads "A is ahead of B from
 * ρ = 10; below, they are not distinguishable."; no change reads "… at every ρ (1 to 100)."; more
 * changes list the values of each outcome.
 */
export function contrastSentence(a: string, b: string, symbol: string, points: readonly { x: number; status: ContrastStatus }[]): string {
  if (points.length === 0) return `${a} and ${b} share no setting to compare on.`;
  const segments: { status: ContrastStatus; from: number }[] = [];
  points.forEach((p, k) => {
    if (segments.length === 0 || segments[segments.length - 1]!.status !== p.status) segments.push({ status: p.status, from: k });
  });
  const first = formatX(points[0]!.x);
  const last = formatX(points[points.length - 1]!.x);
  if (points.length === 1) return `${phrase(points[0]!.status, a, b)} at ${symbol} = ${first}.`;
  if (segments.length === 1) {
    const status = segments[0]!.status;
    const where = `${symbol} (${first} to ${last})`;
    return status === 'tie' ? `${a} and ${b} are not distinguishable at any ${where}.` : `${phrase(status, a, b)} at every ${where}.`;
  }
  if (segments.length === 2) {
    const [low, high] = segments as [{ status: ContrastStatus; from: number }, { status: ContrastStatus; from: number }];
    return `${phrase(high.status, a, b)} from ${symbol} = ${formatX(points[high.from]!.x)}; below, ${belowClause(low.status, a)}.`;
  }
  const words: Record<ContrastStatus, string> = { ahead: 'ahead', behind: 'behind', tie: 'not distinguishable' };
  const parts = (['ahead', 'tie', 'behind'] as const)
    .map((status) => ({ status, xs: points.filter((p) => p.status === status).map((p) => formatX(p.x)) }))
    .filter((g) => g.xs.length > 0)
    .map((g) => `${words[g.status]} at ${symbol} = ${list(g.xs)}`);
  return `${a} against ${b}: ${parts.join('; ')}.`;
}
