/**
 * Whether one of LossLab's specialised kernels runs where it applies: 'auto' leaves it to its
 * cost model or size threshold; 'always' and 'never' force it, so that tests exercise the
 * path on small shapes and benchmarks can compare it with the path it replaces.
 */
export type KernelPolicy = 'auto' | 'always' | 'never';

export class KernelPolicySwitch {
  current: KernelPolicy = 'auto';

  /** Sets the policy; returns the previous one, for restoring it. */
  set(next: KernelPolicy): KernelPolicy {
    const previous = this.current;
    this.current = next;
    return previous;
  }

  /** The decision: forced by 'always'/'never', else what the cost model says. */
  decide(costModelSays: () => boolean): boolean {
    return this.current === 'auto' ? costModelSays() : this.current === 'always';
  }
}
