import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const example = readFileSync(new URL('../examples/readme.ts', import.meta.url), 'utf8');

describe('README', () => {
  it('shows the two commands', () => {
    expect(readme).toContain('npm start');
    expect(readme).toContain('npm test');
  });

  it('shows examples/readme.ts verbatim, so the example it shows is the one this test runs', () => {
    expect(readme).toContain(`\`\`\`ts\n${example}\`\`\``);
  });

  it('runs the example and prints what the README says it prints', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await import('../examples/readme.js');
    expect(log.mock.calls).toEqual([
      ['balance: 5250'],
      ['#1 Deposited {"amount":5000} by ada'],
      ['#2 Deposited {"amount":250} by bob'],
    ]);
    log.mockRestore();
  });
});
