// @ts-check
// ESLint 9 flat config: typescript-eslint's type-aware recommended rules for everything tsconfig.json
// compiles (src, test, bench), syntax-only rules for the examples and the few plain JS files.
// Formatting is Prettier's job (see .prettierrc.json); the import layering is dependency-cruiser's
// (.dependency-cruiser.cjs). `npm run lint` runs both.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const nodeTest = { from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] };

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'bench/results/', '.nimbus/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // node:test's describe/it return promises the runner awaits itself.
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [nodeTest] }],
      // Port implementations (MemoryStore, SqliteKvStore, …) are `async` without awaiting so that every throw becomes a rejection, as the port promises.
      '@typescript-eslint/require-await': 'off',
      // `const { dropped: _, ...rest } = x` and `_unused` parameters that keep a signature are the house way to say "deliberately unused".
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Passing on a caught `unknown` (or a Node callback's error) unchanged is fine; inventing non-Error reasons is not.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // With verbatimModuleSyntax, `import { type A } from 'x'` keeps a bare `import 'x'` in the output.
      '@typescript-eslint/no-import-type-side-effects': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    // STYLE.md: only composition roots read configuration. The sandbox shim builds the function's own environment.
    files: ['src/**/*.ts'],
    ignores: ['**/*.test.ts', 'src/cli/config.ts', 'src/sandbox/shim.ts'],
    rules: { 'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Only src/cli/config.ts reads process.env: take the value as an option.' }] },
  },
  {
    // Tests poke at parsed JSON (JSON.parse → any) on purpose; the type-safety rules would only add casts.
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // Not in tsconfig.json: example functions (bundled by esbuild, not tsc) and plain JS files.
    files: ['examples/**', '**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { exports: 'writable', module: 'writable', require: 'readonly' } },
  },
);
