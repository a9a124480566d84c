// ESLint for the extension's shell and the test tooling: `./build.sh check`
// and `./build.sh test` run it as tests/e2e/node_modules/.bin/eslint from
// the repository's root. ESLint and its configs are devDependencies of
// tests/e2e (one package.json, one lockfile, one `npm ci`), so they are
// resolved from there rather than from a node_modules here.
import { createRequire } from 'node:module';

const require = createRequire(new URL('./tests/e2e/package.json', import.meta.url));
const js = require('@eslint/js');
const globals = require('globals');

export default [
  {
    ignores: ['target/', 'dist/', '**/node_modules/', '**/pkg/', 'tests/fuzz-targets/'],
  },
  js.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Mistakes the recommended set lets through.
      eqeqeq: ['error', 'always'],
      'no-unused-vars': ['error', { args: 'after-used', caughtErrors: 'none', ignoreRestSiblings: true }],
      'prefer-const': 'error',
      'no-var': 'error',
      'no-implicit-coercion': ['error', { allow: ['!!'] }],
      'no-template-curly-in-string': 'error',
      'no-self-compare': 'error',
      'no-unmodified-loop-condition': 'error',
      'no-unreachable-loop': 'error',
      'no-constructor-return': 'error',
      'array-callback-return': 'error',
      'no-use-before-define': ['error', { functions: false, classes: false, variables: false }],
      'no-shadow-restricted-names': 'error',
      'no-throw-literal': 'error',
    },
  },
  {
    // Extension pages and the background: ES modules in the browser, with
    // `chrome` (Chromium) and `browser` (Firefox).
    files: ['extension/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: { ...globals.browser, ...globals.webextensions },
    },
  },
  {
    // Content scripts are injected as classic scripts.
    files: ['extension/content/**/*.js'],
    languageOptions: { sourceType: 'script' },
  },
  {
    // Node scripts; the functions they hand to a page (puppeteer's
    // `evaluate`, selenium's `executeScript`) run in the extension's pages,
    // so browser and extension globals are known there too.
    files: ['tests/**/*.mjs', 'eslint.config.mjs'],
    languageOptions: {
      sourceType: 'module',
      globals: { ...globals.node, ...globals.browser, ...globals.webextensions },
    },
  },
];
