// ESLint (typescript-eslint, type-checked) for the TypeScript; Prettier owns the layout.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/**
 * The dependency direction, checked: a module may import only from the layers below it
 * (auth → sessions → users → common/config/database). `database` may name entities (the
 * DataSource lists them) and nothing else of the feature modules.
 */
const layer = (files, forbidden, message, { entities = false } = {}) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: forbidden.flatMap((m) => (entities ? [`**/${m}/**`, `!**/${m}/*.entity.js`] : [`**/${m}/**`])),
            message,
          },
        ],
      },
    ],
  },
});

const features = ['auth', 'sessions', 'users', 'audit', 'events', 'health', 'mail', 'outbox', 'keys'];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'test-artifacts/', '**/dist/', '**/node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Nest's decorators and DI lean on classes and `any`-typed metadata; these add noise, not safety.
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests and scripts read untyped JSON bodies (supertest's `body` is `any`) all the time.
    files: ['test/**', 'bench/**', 'scripts/**', '**/*.spec.ts', '**/*.mjs', '**/*.cjs'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  // Plain JavaScript (bench, scripts, the browser page) is linted without type information.
  { files: ['**/*.mjs', '**/*.cjs', '**/*.js'], ...tseslint.configs.disableTypeChecked },
  { files: ['public/**/*.js'], languageOptions: { globals: { ...globals.browser }, sourceType: 'script' } },
  layer(
    ['src/common/**', 'src/config/**'],
    [...features, 'database'],
    'common and config are the bottom layer: they import no feature module.',
  ),
  layer(['src/database/**'], features, 'database may import entity files only (the DataSource lists them).', {
    entities: true,
  }),
  layer(
    ['src/users/**'],
    ['auth', 'sessions', 'audit', 'events', 'health'],
    'users is below sessions and auth: it imports neither (tell the world through events).',
  ),
  layer(['src/audit/**'], ['auth', 'sessions', 'users', 'events', 'health'], 'audit is a leaf below auth.'),
  layer(
    ['src/mail/**'],
    ['auth', 'sessions', 'users', 'audit', 'events', 'health'],
    'mail is a leaf below auth: it sends what it is given.',
  ),
  layer(
    ['src/keys/**'],
    ['auth', 'sessions', 'users', 'audit', 'events', 'health', 'mail'],
    'keys is a leaf below sessions: it signs what it is given.',
  ),
  layer(['src/sessions/**'], ['auth', 'audit', 'events', 'health'], 'sessions is below auth: it never imports auth.'),
  layer(['src/events/**'], ['auth', 'users', 'audit', 'health'], 'events consumes session events only.'),
  layer(
    ['src/outbox/**'],
    ['auth', 'sessions', 'users', 'audit', 'events', 'health', 'mail'],
    'outbox is below every module that sends: channels register with it, it imports none of them.',
  ),
  layer(['src/health/**'], ['auth', 'sessions', 'users', 'audit', 'events'], 'health reads the database only.'),
  prettier,
);
