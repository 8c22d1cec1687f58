// VS Code's extensionTestsPath contract: the extension host loads this module (bundled by
// scripts/e2e/run.mjs together with every test/e2e/host/*.test.ts) and awaits run();
// a rejection makes the host exit with code 1, reported through window.codeAutomationExit.
import { runRegistered } from './harness';

export async function run(): Promise<void> {
  const { passed, failed } = await runRegistered();
  if (failed > 0) throw new Error(`${failed} extension-host test(s) failed`);
  if (passed === 0) throw new Error('no extension-host test ran');
}
