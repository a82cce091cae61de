import os from 'node:os';

const load = (): number => Math.round((os.loadavg()[0] ?? 0) * 100) / 100;

/**
 * Watches the machine's load average for a benchmark run (sampled every 5 s and whenever `sample` is called),
 * and describes the machine for the results file: figures from a busy machine should say so.
 */
export function watchMachine() {
  const start = load();
  let max = start;
  const sample = () => {
    max = Math.max(max, load());
  };
  const timer = setInterval(sample, 5000).unref();
  return {
    sample,
    describe() {
      clearInterval(timer);
      sample();
      return {
        cores: os.cpus().length,
        cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
        memoryGB: Math.round(os.totalmem() / 1024 ** 3),
        node: process.version,
        os: `${os.type()} ${os.release()}`,
        loadAverage: { start, max, end: load() },
      };
    },
  };
}
