/**
 * Waits `ms`, or less when `signal` aborts or the caller wakes it early through `onWake` (given the function
 * that ends the wait). Never rejects: callers check the signal afterwards.
 */
export function sleep(ms: number, signal: AbortSignal, onWake?: (wake: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    onWake?.(done);
  });
}
