// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import appBoundaries from './eslint-rules/app-boundaries.mjs';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.stack/', '.venv/', 'coverage/', 'bin/', '*.config.js'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { project: false } },
    plugins: { fstore: appBoundaries },
    rules: {
      // Apps depend on libs only (eslint-rules/app-boundaries.mjs).
      'fstore/no-cross-app-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // A lib is used only through its public index (its @fstore/<lib> alias).
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // Light entry points a lib declares in tsconfig.json for the CLI's start-up are the
              // exception (the generator's defaults and progress lines, without its event schema;
              // the error registry, without NestJS; the job-name rule, without features/; the dashboards, without OpenTelemetry), and
              // entries that must stay out of an app's index (the dead-letter replay logs in as the
              // admin Kafka user, which the producer service, importing @fstore/ingest, never holds).
              group: [
                '**/libs/*/src/*',
                '@fstore/*/*',
                '!@fstore/generator/defaults',
                '!@fstore/rest-api/error-registry',
                '!@fstore/generator/progress',
                '!@fstore/contracts/jobs',
                '!@fstore/ingest/dlq',
                '!@fstore/observability/dashboards',
              ],
              message: 'Import a lib through @fstore/<lib> only.',
            },
          ],
        },
      ],
    },
  },
);
