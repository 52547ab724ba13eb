/** Test tiers: unit specs beside the code (*.spec.ts); medium tests against the real stack (*.medium-spec.ts). */
const { pathsToModuleNameMapper } = require('ts-jest');
const { compilerOptions } = require('./tsconfig.json');

const shared = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': 'ts-jest',
    // ESM-only dependencies (Node loads them natively; jest needs them as CommonJS).
    '/node_modules/content-disposition/.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!content-disposition/)'],
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' }),
  setupFiles: ['reflect-metadata'],
  testPathIgnorePatterns: ['/node_modules/', '/.stack/', '/dist/'],
};

module.exports = {
  // Medium tests wait on real services.
  testTimeout: 120000,
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apps,libs,test,bench,k8s}/**/*.spec.ts'],
    },
    {
      ...shared,
      displayName: 'medium',
      testMatch: ['<rootDir>/{apps,libs,test}/**/*.medium-spec.ts'],
    },
  ],
};
