// ESLint for the whole repository (`npm run lint`; `npm test` runs it first, see scripts/checks.mjs).
// - TypeScript (src/, test/, bench/: tsconfig.json) and the webview scripts (media/*.js: `// @ts-check` with JSDoc
//   types, media/tsconfig.json) are linted with type information: floating and misused promises, `any` and the
//   unsafe uses of it, explicit types on what a module exports, typescript-eslint's recommended type-checked set.
// - scripts/*.mjs (plain node ESM, in no TypeScript project) get the rules that need no type information.
// - Formatting is checked here too (@stylistic), set to the code's own style: 2 spaces, single quotes, semicolons,
//   trailing commas on multi-line lists, operators at the start of a continued line. .editorconfig tells editors
//   the same. `npx eslint --fix FILE` fixes the formatting of a file.
import js from '@eslint/js';
import stylistic from '@stylistic/eslint-plugin';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const style = {
  plugins: { '@stylistic': stylistic },
  rules: {
    // a continued ternary goes one step deeper per level; an object or call in a branch is indented from its `?`
    '@stylistic/indent': ['error', 2, { SwitchCase: 1, flatTernaryExpressions: false, offsetTernaryExpressions: true }],
    '@stylistic/quotes': ['error', 'single', { avoidEscape: true, allowTemplateLiterals: 'always' }],
    '@stylistic/semi': ['error', 'always'],
    '@stylistic/comma-dangle': ['error', 'always-multiline'],
    '@stylistic/eol-last': 'error',
    '@stylistic/no-trailing-spaces': 'error',
    '@stylistic/no-tabs': 'error',
    '@stylistic/linebreak-style': ['error', 'unix'],
    '@stylistic/brace-style': ['error', '1tbs', { allowSingleLine: true }],
    '@stylistic/keyword-spacing': 'error',
    '@stylistic/comma-spacing': 'error',
    '@stylistic/comma-style': 'error',
    '@stylistic/semi-spacing': 'error',
    '@stylistic/space-infix-ops': 'error',
    '@stylistic/space-unary-ops': 'error',
    '@stylistic/space-before-blocks': 'error',
    '@stylistic/space-before-function-paren': ['error', { anonymous: 'always', named: 'never', asyncArrow: 'always' }],
    '@stylistic/space-in-parens': 'error',
    '@stylistic/block-spacing': 'error',
    '@stylistic/key-spacing': 'error',
    '@stylistic/arrow-parens': ['error', 'always'],
    '@stylistic/arrow-spacing': 'error',
    '@stylistic/type-annotation-spacing': 'error',
    '@stylistic/member-delimiter-style': 'error',
    '@stylistic/no-multi-spaces': ['error', { ignoreEOLComments: true }],
    '@stylistic/no-multiple-empty-lines': ['error', { max: 1, maxEOF: 0, maxBOF: 0 }],
    '@stylistic/no-extra-semi': 'error',
    '@stylistic/spaced-comment': ['error', 'always', { markers: ['/'], exceptions: ['-'] }],
    '@stylistic/quote-props': ['error', 'as-needed'],
    '@stylistic/operator-linebreak': ['error', 'before'],
    '@stylistic/dot-location': ['error', 'property'],
    '@stylistic/new-parens': 'error',
    '@stylistic/no-whitespace-before-property': 'error',
    '@stylistic/rest-spread-spacing': 'error',
    '@stylistic/template-curly-spacing': 'error',
    '@stylistic/computed-property-spacing': 'error',
    '@stylistic/function-call-spacing': 'error',
  },
};

export default defineConfig(
  { ignores: ['node_modules/', 'dist/', 'out/', '.vscode-test/', '.cache/', 'artifacts/', '.sandbox/'] },
  // An eslint-disable comment that disables nothing is an error: it would hide the next real finding.
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },

  // Everything: ESLint's recommended rules and the formatting.
  { files: ['**/*.{ts,mts,js,mjs}'], extends: [js.configs.recommended, style] },

  // With type information: the TypeScript (tsconfig.json) and the webview scripts (media/tsconfig.json).
  {
    files: ['**/*.ts', 'media/*.js'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // node:test's test(), describe() and their hooks return promises the runner itself awaits
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }],
      }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/explicit-module-boundary-types': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Off: `async` on a function without `await` is how this code says "returns a promise, throws as a
      // rejection" (interface methods, test callbacks); dropping it would change where errors surface.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['**/*.d.ts'],
    rules: { '@typescript-eslint/no-unused-vars': 'off' },
  },

  // The webview scripts: classic scripts in the browser, also loaded with require() by node tests.
  {
    files: ['media/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: { ...globals.browser, module: 'readonly', acquireVsCodeApi: 'readonly' },
    },
  },

  // Node scripts (in no TypeScript project): the rules that need no type information.
  {
    files: ['scripts/**/*.mjs', 'eslint.config.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['scripts/**/*.d.mts'],
    extends: [tseslint.configs.recommended, tseslint.configs.disableTypeChecked],
  },

  // The quirk and edit matrices' describe() bodies sit at their function's level (one level less than the rule wants).
  {
    files: ['test/helpers/interop-quirks.ts', 'test/helpers/interop-edit.ts'],
    rules: { '@stylistic/indent': 'off' },
  },
);
