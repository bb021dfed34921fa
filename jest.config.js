/** @type {import('jest').Config} */
module.exports = {
    testEnvironment: "node",
    roots: ["<rootDir>/test"],
    testMatch: ["**/*.test.ts"],
    transform: {
        "^.+\\.ts$": ["ts-jest", { diagnostics: false }],
    },
    testTimeout: 60000,
    // Most of a test's time is spent waiting (throttling windows, Retry-After, child processes),
    // not computing: two workers halve the run on a 2-core machine, where jest would pick one.
    maxWorkers: 2,
};
