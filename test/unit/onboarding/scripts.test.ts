import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ScriptResult } from '../../../src/adapters/router-adapter.ts';
import { classifyScript, scriptOutput } from '../../../src/onboarding/scripts.ts';

const r = (o: Partial<ScriptResult>): ScriptResult => ({
  exitCode: 0,
  signal: null,
  timedOut: false,
  stdout: '',
  stderr: '',
  ...o,
});

describe('script exit-status convention', () => {
  const table: [Partial<ScriptResult>, string][] = [
    [{ exitCode: 0 }, 'success'],
    [{ exitCode: 80 }, 'warning'],
    [{ exitCode: 99 }, 'warning'],
    [{ exitCode: 1 }, 'error'],
    [{ exitCode: 2 }, 'error'],
    [{ exitCode: 64 }, 'error'],
    [{ exitCode: 79 }, 'error'],
    [{ exitCode: 100 }, 'error'],
    [{ exitCode: 126 }, 'error'],
    [{ exitCode: 127 }, 'error'],
    [{ exitCode: 255 }, 'error'],
    [{ exitCode: null, signal: 'SIGSEGV' }, 'error'],
    [{ exitCode: null, signal: 'SIGKILL', timedOut: true }, 'timeout'],
    [{ exitCode: 0, timedOut: true }, 'timeout'],
  ];
  for (const [result, verdict] of table) {
    test(`${JSON.stringify(result)} → ${verdict}`, () => {
      assert.equal(classifyScript(r(result)), verdict);
    });
  }

  test('output labels stdout and stderr', () => {
    assert.equal(scriptOutput(r({ stdout: 'a\n', stderr: 'b\n' })), 'stdout: a\nstderr: b');
    assert.equal(scriptOutput(r({})), '');
  });
});
