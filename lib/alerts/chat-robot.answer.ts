/**
 * Throws if a DingTalk or WeCom robot refused the message: both answer status 200 with `{"errcode": ..., "errmsg":
 * ...}`, `errcode` 0 when the message was posted (a wrong keyword, signature or token is a 200 too).
 */
export function checkRobotAnswer(answer: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer);
  } catch {
    // Not the robots' JSON (a proxy, a test endpoint): the status said yes.
    return;
  }
  if (parsed !== null && typeof parsed === 'object' && 'errcode' in parsed) {
    const { errcode, errmsg } = parsed as { errcode: unknown; errmsg?: unknown };
    if (Number(errcode) !== 0) {
      throw new Error(`the robot answered errcode ${String(errcode)}: ${String(errmsg ?? '')}`);
    }
  }
}
