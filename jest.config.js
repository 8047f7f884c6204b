/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/lib', '<rootDir>/test'],
  testRegex: '\\.spec\\.ts$',
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  testTimeout: 120000,
  // The ZooKeeper native client can keep the event loop busy for a while after its sessions are closed (its
  // reconnection timers); every suite closes what it opened, so the run ends when the tests end.
  forceExit: true,
  globalSetup: '<rootDir>/test/support/global-setup.js',
};
