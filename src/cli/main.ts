#!/usr/bin/env node
import { isHindsightError } from '../events/errors.js';
import { createProgram } from './program.js';

try {
  await createProgram().parseAsync();
} catch (error) {
  const code = isHindsightError(error) ? `${error.code}: ` : '';
  console.error(`hindsight: ${code}${(error as Error).message}`);
  process.exitCode = 1;
}
