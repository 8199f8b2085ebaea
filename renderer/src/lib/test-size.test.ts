import { describe, expect, it } from 'vitest';
import { smallTestClasses, smallTestWarning } from './test-size';

describe('small test sets', () => {
  it('names the classes with fewer than 10 test images, smallest first', () => {
    const small = smallTestClasses({ classes: ['cat', 'dog', 'eel', 'fox'], test: [40, 9, 3, 10] });
    expect(small).toEqual([
      { name: 'eel', test: 3 },
      { name: 'dog', test: 9 },
    ]);
    expect(smallTestWarning(small)).toMatch(/^2 classes have fewer than 10 test images: eel \(3\), dog \(9\)\. .*wide intervals/);
  });

  it('says nothing when every class has enough', () => {
    expect(smallTestWarning(smallTestClasses({ classes: ['a', 'b'], test: [10, 200] }))).toBeNull();
  });
});
