// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.stack/', '.venv/', 'coverage/', 'bin/', '*.config.js'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { project: false } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // A lib is used only through its public index (its @fstore/<lib> alias).
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // Light entry points a lib declares in tsconfig.json for the CLI's start-up are the
              // exception (the generator's defaults and progress lines, without its event schema).
              group: [
                '**/libs/*/src/*',
                '@fstore/*/*',
                '!@fstore/generator/defaults',
                '!@fstore/generator/progress',
              ],
              message: 'Import a lib through @fstore/<lib> only.',
            },
          ],
        },
      ],
    },
  },
);
