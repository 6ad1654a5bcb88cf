// Vitest runs the contract tests inside the Clarinet simnet
// (vitest-environment-clarinet provides the global `simnet`).
//
// Vitest 4 removed `poolOptions`: a single fork is `maxWorkers: 1` with
// `isolate: false`, which also keeps one environment for all files so the
// coverage and costs reports (written at environment teardown) cover every file.
// The SDK's setup file re-initialises the simnet before each test
// (`initBeforeEach`), so tests never see each other's state.
//
// Options after `--` go to the SDK, e.g. `vitest run -- --coverage --costs`.
import { defineConfig } from "vitest/config";
import { vitestSetupFilePath, getClarinetVitestsArgv } from "@stacks/clarinet-sdk/vitest";

export default defineConfig({
  test: {
    environment: "clarinet",
    pool: "forks",
    maxWorkers: 1,
    isolate: false,
    include: ["tests/**/*.test.ts"],
    setupFiles: [vitestSetupFilePath],
    testTimeout: 120_000,
    environmentOptions: {
      clarinet: {
        ...getClarinetVitestsArgv(),
      },
    },
  },
});
