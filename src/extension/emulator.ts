// The emulator side the extension runs in its own process: the debug adapter's session
// (inline mode) and the headless runner (Run Scenario). Bundled on its own as
// dist/extension-emulator.js and loaded on first use (emulatorModule.ts), so activation
// does not parse it.
export { XenDebugSession } from '../debugadapter/session';
export { formatOutcome, runScenario, type RunOutcome } from '../emulator/runner/run';
