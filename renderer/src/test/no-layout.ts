/**
 * jsdom has no layout, and so no ResizeObserver; components that measure themselves (the sticky
 * start bar, charts that fit their width) then keep their initial size. Imported by tests that
 * render such components; never bundled.
 */
globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
} as unknown as typeof ResizeObserver;
