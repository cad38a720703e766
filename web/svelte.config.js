/** Runes mode everywhere: no legacy `export let` or `$:` can creep in. */
export default {
  compilerOptions: { runes: true },
};
