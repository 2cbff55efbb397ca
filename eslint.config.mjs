// ESLint (flat config): the recommended JavaScript and TypeScript rules, the type-aware rules that
// catch lost promises and non-exhaustive switches, and the layer table of ARCHITECTURE.md as
// no-restricted-imports per folder. `npm run lint`; scripts/test.sh runs it first.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Every Node built-in, bare and with the node: prefix. */
const NODE_BUILTINS = builtinModules.flatMap((m) => [m, `node:${m}`]);

/**
 * A layer's forbidden imports: Node built-ins and/or vscode by name, folders by a regex on the specifier;
 * `more` adds { regex, message } patterns with messages of their own (the engine's inner layers).
 */
function layer({ node = false, vscode = false, folders = [], message, more = [] }) {
  const paths = [...(node ? NODE_BUILTINS : []), ...(vscode ? ['vscode'] : [])].map((name) => ({ name, message }));
  const patterns = [...folders.map((regex) => ({ regex, message })), ...more];
  return { 'no-restricted-imports': ['error', { paths, patterns }] };
}

/** The engine as a whole: pure ES2022, nothing from the other layers. */
const ENGINE = {
  node: true,
  vscode: true,
  folders: ['^(\\.\\./)+(node|cli|extension|protocol|media)(/|$)'],
  message: 'src/engine imports only itself (pure ES2022: no Node, no vscode, no other layer).',
};

/** Test, sample and bench builders: the code that decodes, checks, edits or exports never imports them. */
const NO_TEST_BUILDERS = [
  {
    regex: '(^|/)(kho/|\\./)(generators|dumpBuilder)$|(^|/)clients/build(/|$)|^\\./build(/|$)',
    message: 'kho/generators.ts, kho/dumpBuilder.ts and clients/build/ build tests, the sample and the bench only.',
  },
];

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'dist/**',
      'node_modules/**',
      '.tools/**',
      '.work/**',
      '.vscode-test/**',
      'samples/**',
      'test/fixtures/**',
    ],
  },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { checkThenables: true }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', caughtErrors: 'none' }] },
  },
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // End-to-end tests pass functions to the browser page (page.evaluate): they see the DOM.
  { files: ['test/e2e/**/*.mjs'], languageOptions: { globals: { ...globals.browser } } },
  // Tests read the CLI's and the worker's JSON output untyped and check its shape themselves.
  {
    files: ['test/**/*.ts'],
    languageOptions: { globals: { ...globals.mocha } },
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },

  // The layer table (ARCHITECTURE.md, "Layers and what they may import").
  {
    files: ['src/engine/**/*.ts'],
    rules: layer({ ...ENGINE, more: NO_TEST_BUILDERS }),
  },
  // Inside the engine, a stage imports only the stages before it (ARCHITECTURE.md's pipeline).
  {
    files: ['src/engine/fdt/**/*.ts'],
    rules: layer({
      ...ENGINE,
      more: [
        ...NO_TEST_BUILDERS,
        {
          regex: '^\\.\\./(kho|clients|checks|edit|export|diff|report)(/|$)|^\\.\\./decode$',
          message: 'src/engine/fdt is the generic FDT reader and writer: it imports no KHO, client or later stage.',
        },
      ],
    }),
  },
  {
    files: ['src/engine/checks/**/*.ts'],
    rules: layer({
      ...ENGINE,
      more: [
        ...NO_TEST_BUILDERS,
        {
          regex: '^\\.\\./(edit|export|diff|report)(/|$)|^\\.\\./decode$',
          message: 'the checks read decoded parts (kho, clients, image); the decode and its reports come after them.',
        },
      ],
    }),
  },
  {
    files: ['src/engine/edit/**/*.ts'],
    rules: layer({
      ...ENGINE,
      more: [
        ...NO_TEST_BUILDERS,
        {
          regex: '^\\.\\./checks(/|$)',
          message: 'editing re-decodes through decode.ts; it imports no checker module.',
        },
      ],
    }),
  },
  {
    files: ['src/engine/kho/generators.ts', 'src/engine/kho/dumpBuilder.ts', 'src/engine/clients/build/**/*.ts'],
    rules: layer(ENGINE),
  },
  {
    files: ['src/protocol/**/*.ts'],
    rules: layer({
      node: true,
      vscode: true,
      folders: ['^\\.\\./'],
      message: 'src/protocol imports nothing outside itself.',
    }),
  },
  {
    files: ['src/node/**/*.ts'],
    rules: layer({
      vscode: true,
      folders: ['^(\\.\\./)+(cli|extension|media)(/|$)'],
      message: 'src/node imports only the engine, protocol and Node built-ins.',
    }),
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: layer({
      vscode: true,
      folders: ['^(\\.\\./)+(extension|protocol|media)(/|$)'],
      message: 'src/cli imports only the engine and src/node.',
    }),
  },
  {
    files: ['src/extension/**/*.ts'],
    rules: layer({
      folders: ['^(\\.\\./)+(cli|media)(/|$)'],
      message: 'src/extension imports the engine, src/node, protocol and vscode, not the CLI or the webview.',
    }),
  },
  {
    files: ['media/src/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: layer({
      node: true,
      vscode: true,
      folders: ['^(\\.\\./)+src/(node|cli|extension)(/|$)', '^(\\.\\./)+src/engine/(?!util/hex$)'],
      message: 'media/ (the webview) imports protocol and the pure engine helper util/hex only: no Node, no vscode.',
    }),
  },
  {
    files: ['test/unit/**/*.ts', 'test/support/**/*.ts'],
    rules: layer({
      vscode: true,
      // media/'s pure modules (no DOM) are unit-tested; the rest of the webview is not importable here.
      folders: ['^(\\.\\./)+src/extension(/|$)', '^(\\.\\./)+media/(?!src/(orderPalette|cellDensity)$)'],
      message:
        'test/unit tests the engine, src/node, the CLI and media/src/{orderPalette,cellDensity}; the extension is tested in test/integration.',
    }),
  },
);
