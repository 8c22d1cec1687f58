// Debuggee of the harness self-test (test/e2e/ui/harness-selftest.test.ts): a known frame and a
// known local, stopped at the debugger statement.
function harnessFrame() {
  const answer = 42;
  debugger;
  return answer;
}
harnessFrame();
