import type { ChildProcess } from "node:child_process";

/**
 * Stops a child process by its PID: SIGTERM, then SIGKILL after `graceMs` if it has not exited.
 * Resolves with what `exited` resolves to; does nothing to a process that already exited.
 */
export async function stopByPid<T>(
  child: ChildProcess,
  exited: Promise<T>,
  graceMs: number,
): Promise<T> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined)
    return exited;
  const pid = child.pid;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(pid, name);
    } catch {
      // already gone
    }
  };
  signal("SIGTERM");
  const timer = setTimeout(() => signal("SIGKILL"), graceMs);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}
