/**
 * Raised for anything wrong with a loss choice before training starts: an unknown id, a
 * hyperparameter outside its range, missing class counts. Messages are one line and name
 * the loss, the parameter and what is allowed, because the CLI prints them verbatim.
 */
export class LossParamError extends Error {
  readonly lossId: string | undefined;
  readonly param: string | undefined;

  constructor(message: string, lossId?: string, param?: string) {
    super(message);
    this.name = 'LossParamError';
    this.lossId = lossId;
    this.param = param;
  }
}
