/**
 * pdfjs-dist 3's legacy build, which runs in Node (its worker faked in-process). Loading it logs
 * that it cannot polyfill canvas types (the optional `canvas` package is not installed; reading
 * text needs none): that note is kept out of the test output.
 */
const log = console.log;
console.log = () => undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const pdfjs = require('pdfjs-dist/legacy/build/pdf.js') as typeof import('pdfjs-dist');
console.log = log;
