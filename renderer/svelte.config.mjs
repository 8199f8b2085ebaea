// Svelte 5 strips TypeScript type annotations itself; no preprocessor is needed.
export default {
  compilerOptions: {
    runes: true,
  },
};
