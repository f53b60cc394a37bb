// The problems loadConfig() reports for these arguments (none: []), for the config tests.
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config/config.js';

export function problems(argv: string[], env: Record<string, string> = {}): readonly string[] {
  try {
    loadConfig(argv, env);
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
}
