import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/**
 * The layers of the app, top to bottom, as the README's "How the code is laid out" states them
 * (test/docs/layers.test.ts holds the two together). A file may import its own layer and any
 * below it, never one above; nothing deployed (lib/, functions/) imports dev/ or test/.
 */
const LAYERS = [
  'functions',
  'lib/console',
  'lib/health.ts',
  'lib/campaigns',
  'lib/flows',
  'lib/outbound',
  'lib/records',
  'lib/twilio',
  'lib/http',
  'lib/config',
  'lib/errors.ts',
];
const LOCAL_ONLY = ['dev', 'test'];

/** An import of `target` written relative to any file of lib/ or functions/, at any depth. */
const importOf = (target) => {
  const [top, ...rest] = target.replace(/\.ts$/, '').split('/');
  const path = rest.length === 0 ? top : `(?:${top}/)?${rest.join('/')}`;
  return `^(?:\\.\\.?/)+${path}(?:/|$)`;
};

const layerRules = LAYERS.map((layer, index) => ({
  files: layer.endsWith('.ts') ? [layer] : [`${layer}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...LAYERS.slice(0, index).map((above) => ({
            regex: importOf(above),
            message: `${layer} is below ${above}: dependencies point ${LAYERS.join(' → ')} (README, "How the code is laid out").`,
          })),
          ...LOCAL_ONLY.map((folder) => ({
            regex: importOf(folder),
            message: `${folder}/ is local only and never deployed: ${layer} must not import it.`,
          })),
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.local/', '.artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // Rules that need types: a promise nobody awaits loses its error, and one passed where a
    // callback's result is ignored (an event handler) fails silently.
    files: ['**/*.ts', '**/*.mts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    // A function a reader can hold in view (STYLE.md): past 80 lines it wants a named piece of its own.
    files: ['lib/**/*.ts', 'functions/**/*.ts', 'dev/**/*.ts', 'console/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }] },
  },
  ...layerRules,
  {
    // The emulator's TwiML interpreter is what `simulate` runs against any app: the REST side
    // (dev/emulator/rest/) uses it, never the other way round (dev/emulator/README.md).
    files: ['dev/emulator/interpreter/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['../*'], message: 'dev/emulator/interpreter/ imports only its own files and packages.' },
          ],
        },
      ],
    },
  },
);
