import type * as tf from '@tensorflow/tfjs-core';

/**
 * Reads each training batch's loss back one batch late. Awaiting the loss right after its step
 * makes a GPU sit idle while JavaScript records the next step, and JavaScript sit idle while
 * the GPU computes; reading it once the next step is queued lets the two overlap. Values are
 * settled in batch order, so sums, checks and progress see exactly the numbers they saw when
 * each read was awaited at once; on CPU backends (wasm, cpu) nothing changes but the order of
 * two awaits.
 */
export class LaggedLossReader<Info> {
  private pending: { value: Promise<number>; info: Info } | null = null;

  /** `settle` gets each batch's loss, in order; what it throws (a diverged loss) ends the run. */
  constructor(private readonly settle: (value: number, info: Info) => void) {}

  /** Starts reading `loss` (and disposes of it once read), then settles the batch before it. */
  async push(loss: tf.Scalar, info: Info): Promise<void> {
    const value = loss.data().then((data) => {
      loss.dispose();
      return data[0] as number;
    });
    // Awaited later, or never when the run ends first: a failed read must not be an unhandled rejection meanwhile.
    value.catch(() => undefined);
    const previous = this.pending;
    this.pending = { value, info };
    if (previous) this.settle(await previous.value, previous.info);
  }

  /** Settles the last batch: call before anything reads the epoch's sums. */
  async flush(): Promise<void> {
    const previous = this.pending;
    this.pending = null;
    if (previous) this.settle(await previous.value, previous.info);
  }
}
