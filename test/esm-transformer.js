/**
 * Nest 12 and some of its dependencies ship as ES modules only. Node 20 loads them with
 * require(esm), but Jest's module registry cannot (it needs Node 24.9+), so in tests ESM
 * files are compiled to CommonJS by swc; everything else passes through untouched.
 */
const { createTransformer } = require('@swc/jest');

const swc = createTransformer({
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'commonjs', ignoreDynamic: false },
  sourceMaps: 'inline',
});
const ESM_SYNTAX = /^\s*(import\s*[\w{*'"]|export\s)|\bimport\.meta\b/m;

module.exports = {
  canInstrument: false,
  process(source, path, options) {
    if (path.endsWith('.ts') || ESM_SYNTAX.test(source)) return swc.process(source, path.endsWith('.ts') ? path : `${path}`, options);
    return { code: source };
  },
  getCacheKey(source, path, options) {
    return swc.getCacheKey(source, path, options) + (path.endsWith('.ts') ? 'ts' : 'js');
  },
};
