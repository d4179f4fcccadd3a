// One Jest for the whole monorepo, three levels (see ../shared/docs/TESTING.md):
// unit (*.spec.ts, no I/O), integration (*.int-spec.ts, real stack) and e2e
// (*.e2e-spec.ts, services as processes). SWC transpiles; type checking is `tsc`'s job.
const swcTransform = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

// sanitize-html's parser (htmlparser2 12 and its dom* helpers) ships ESM only: Node 20.19 loads it
// with require(esm), Jest's module runtime does not, so SWC transpiles those few packages to CJS.
const esmOnlyPackages = '(htmlparser2|domhandler|domutils|dom-serializer|entities|domelementtype)';

const shared = {
  transform: {
    '^.+\\.ts$': swcTransform,
    [`/node_modules/${esmOnlyPackages}/.+\\.js$`]: swcTransform,
  },
  transformIgnorePatterns: [`/node_modules/(?!${esmOnlyPackages}/)`],
  moduleFileExtensions: ['ts', 'js', 'json'],
  testEnvironment: 'node',
  moduleNameMapper: {
    '^@switchboard/stack$': '<rootDir>/tools/stack/src/index.ts',
    '^@switchboard/([a-z-]+)$': '<rootDir>/libs/$1/src/index.ts',
  },
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/', '<rootDir>/.stack/'],
  rootDir: __dirname,
};

const onRealStack = {
  ...shared,
  globalSetup: '<rootDir>/libs/testing/src/global-setup.ts',
  slowTestThreshold: 30,
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/{libs,services,tools}/*/src/**/*.spec.ts'],
    },
    {
      ...onRealStack,
      displayName: 'integration',
      testMatch: ['<rootDir>/{libs,services,tools}/*/src/**/*.int-spec.ts'],
    },
    {
      ...onRealStack,
      displayName: 'e2e',
      testMatch: ['<rootDir>/services/*/test/**/*.e2e-spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
    },
  ],
};
