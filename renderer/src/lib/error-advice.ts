/**
 * Every error the user sees says what happened (the main side's message) and what to do
 * next. The "what to do" comes from the kind of error where that is decisive (no server,
 * refused token, malformed request) and otherwise from the action that failed, which the
 * call site knows best.
 */

export interface ShownError {
  /** What was being attempted, e.g. "Could not open the dataset". */
  title: string;
  message: string;
  advice: string;
}

const ADVICE_BY_NAME: Record<string, string> = {
  ConnectionError:
    'Check that `losslab serve` (or the app) is still running — its terminal shows why it stopped — then reload this page.',
  AccessDenied:
    'The access token was refused. Open the exact address printed by `losslab serve`; it ends in ?token=… and changes each time the server starts.',
  ApiValidationError:
    'The values sent were refused. Check the fields on this screen against the ranges shown next to them; if they look right, please report this with the message above.',
  ProtocolError: 'The app and the server may be different versions. Reload the page; if it persists, restart `losslab serve`.',
  UnsupportedCall: 'This feature is not available in this mode of the app.',
};

export function describeError(error: unknown, title: string, fallbackAdvice: string): ShownError {
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : 'Unknown error.';
  const name = error instanceof Error ? error.name : '';
  return { title, message, advice: ADVICE_BY_NAME[name] ?? fallbackAdvice };
}
