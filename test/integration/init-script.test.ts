/**
 * packaging/init.d/sztp-agent `start` when the agent is over within the first second, under dash
 * and BusyBox sh: exit 0 (onboarding done or ZTP disabled) and 10 (boot image installed,
 * rebooting) are successes (status 0), any other exit status is a failure (status 1, last log
 * lines printed). Stand-in agents are shell scripts with a fixed exit status (the real agent's
 * start-up time depends on the machine's load, so it cannot be relied on to end within a second).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..');
const INIT = join(ROOT, 'packaging', 'init.d', 'sztp-agent');
const work = mkdtempSync(join(tmpdir(), 'sztp-initd-'));
after(() => rmSync(work, { recursive: true, force: true }));

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** Runs `<shell> INIT start` with a defaults file naming `bin` (and `node`, when given). */
function start(
  shell: readonly string[],
  bin: string,
  config: string,
): { status: number | null; out: string; pidFile: string } {
  const dir = mkdtempSync(join(work, 'run-'));
  const pidFile = join(dir, 'sztp-agent.pid');
  const defaults = join(dir, 'defaults');
  writeFileSync(
    defaults,
    `SZTP_AGENT_BIN=${bin}\nCONFIG=${config}\nPIDFILE=${pidFile}\nLOGFILE=${join(dir, 'agent.log')}\n`,
  );
  const r = spawnSync(shell[0]!, [...shell.slice(1), INIT, 'start'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SZTP_AGENT_DEFAULTS: defaults },
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}`, pidFile };
}

function fakeAgent(exit: number): string {
  const bin = join(work, `agent-exit-${exit}`);
  writeFileSync(bin, `#!/bin/sh\necho "stand-in agent, exit ${exit}" >&2\nexit ${exit}\n`);
  chmodSync(bin, 0o755);
  return bin;
}

const config = join(work, 'ztp.ini');
writeFileSync(config, '[Startup]\nstart: False\n');

for (const shell of [['dash'], ['busybox', 'sh']] as const) {
  describe(
    `init script start under ${shell.join(' ')}: an agent that is over within the first second`,
    { skip: has(shell[0]) ? false : `${shell[0]} missing` },
    () => {
      for (const exit of [0, 10]) {
        test(`exit ${exit} is a success: start returns 0`, () => {
          const r = start(shell, fakeAgent(exit), config);
          assert.equal(r.status, 0, r.out);
          assert.match(r.out, new RegExp(`sztp-agent finished at once \\(exit ${exit}\\)`));
          assert.doesNotMatch(r.out, /exited at once/);
          assert.equal(existsSync(r.pidFile), false, 'no pid file left for a finished agent');
        });
      }

      for (const exit of [1, 2]) {
        test(`exit ${exit} is a failure: start returns 1 and prints the last log lines`, () => {
          const r = start(shell, fakeAgent(exit), config);
          assert.equal(r.status, 1, r.out);
          assert.match(r.out, new RegExp(`sztp-agent exited at once \\(exit ${exit}\\); last log lines:`));
          assert.match(r.out, new RegExp(`stand-in agent, exit ${exit}`));
          assert.equal(existsSync(r.pidFile), false);
        });
      }
    },
  );
}
