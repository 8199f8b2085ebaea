import type { ImbalancePreview } from '../../../main/api/contract';

/** Below this many test images, a class's recall moves by 10 points or more per image: intervals are wide. */
export const FEW_TEST_IMAGES = 10;

export interface SmallTestClass {
  name: string;
  test: number;
}

/** Classes whose held-out test set is too small to measure them well, smallest first. */
export function smallTestClasses(preview: Pick<ImbalancePreview, 'classes' | 'test'>, minimum = FEW_TEST_IMAGES): SmallTestClass[] {
  return preview.classes
    .map((name, c) => ({ name, test: preview.test[c] ?? 0 }))
    .filter((entry) => entry.test < minimum)
    .sort((a, b) => a.test - b.test || (a.name < b.name ? -1 : 1));
}

/** One sentence for the warning, naming at most a few classes. */
export function smallTestWarning(small: SmallTestClass[], minimum = FEW_TEST_IMAGES): string | null {
  if (small.length === 0) return null;
  const shown = small.slice(0, 4).map((s) => `${s.name} (${s.test})`).join(', ');
  const more = small.length > 4 ? ` and ${small.length - 4} more` : '';
  return (
    `${small.length === 1 ? 'One class has' : `${small.length} classes have`} fewer than ${minimum} test images: ${shown}${more}. ` +
    'Their recall and the balanced accuracy will have wide intervals; raise the test fraction, or add images to those classes.'
  );
}
