/** Average advance of a character of the charts' 11 px system font: a slightly generous estimate, so a label never overruns its slot. */
export const CHART_CHAR_WIDTH = 6.4;

/**
 * A label cut to the room it has: whole when it fits in `width` pixels, otherwise shortened with
 * an ellipsis to what fits (at least three characters). The full text goes in a tooltip.
 */
export function fitLabel(label: string, width: number, charWidth = CHART_CHAR_WIDTH): string {
  const room = Math.max(3, Math.floor(width / charWidth));
  return label.length <= room ? label : `${label.slice(0, room - 1)}…`;
}
