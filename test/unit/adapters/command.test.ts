import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { pino } from 'pino';
import { createCommandAdapter } from '../../../src/adapters/command.ts';
import type { AdapterContext, RouterAdapter } from '../../../src/adapters/router-adapter.ts';
import { parseConfigText } from '../../../src/config/load.ts';
import { isSztpError } from '../../../src/errors.ts';
import type { SztpErrorCode } from '../../../src/errors.ts';
import { makeTempDir } from '../../support/temp-dir.ts';

let dir: string;
let work: string;
beforeEach(() => {
  dir = makeTempDir('cmd');
  work = join(dir, 'work');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const ctx = (settings: Record<string, string>): AdapterContext => ({
  settings,
  workDir: work,
  baseDir: dir,
  log: pino({ level: 'silent' }),
});
const make = (settings: Record<string, string>): RouterAdapter => createCommandAdapter(ctx(settings));
const code =
  (c: SztpErrorCode) =>
  (e: unknown): boolean =>
    isSztpError(e) && e.code === c;

/** A toy "device": its running configuration is the file `state`. */
function device(extra: Record<string, string> = {}): Record<string, string> {
  const state = join(dir, 'state');
  writeFileSync(state, 'base\n');
  return {
    snapshot: `cat ${state}`,
    restore: `cp {snapshot} ${state}`,
    commit_merge: `sh -c 'cat "$1" >> "$2"' sh {file} ${state}`,
    commit_replace: `cp {file} ${state}`,
    ...extra,
  };
}
const stateText = (): string => readFileSync(join(dir, 'state'), 'utf8');

test('identity: literal values win, commands fill the rest, a failing serial command is tolerated', async () => {
  const a = make({
    hw_model: 'lab-box',
    identity_os_name: 'echo " frr-linux "',
    identity_os_version: 'printf "12\\n\\nx"',
    identity_serial: 'false',
  });
  assert.deepEqual(await a.identity(), { hwModel: 'lab-box', osName: 'frr-linux', osVersion: '12' });
  const b = make({ serial_number: 'SN1', identity_os_version: 'sh -c "exit 4"' });
  await assert.rejects(b.identity(), code('SZTP_ERR_ADAPTER_COMMAND'));
});

test('identity defaults come from uname and /etc/os-release', async () => {
  const id = await make({}).identity();
  assert.equal(id.hwModel, execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim());
  assert.match(readFileSync('/etc/os-release', 'utf8'), new RegExp(`^ID=${id.osName}$`, 'm'));
});

test('snapshot saves stdout in the work dir; restore replays it; discard removes it', async () => {
  const a = make(device());
  const snap = await a.snapshotConfiguration();
  assert.equal(snap.adapter, 'command');
  assert.equal(snap.empty, false);
  assert.match(snap.ref, /^snapshot-[A-Za-z0-9-]+\.cfg$/);
  const file = join(work, snap.ref);
  assert.equal(readFileSync(file, 'utf8'), 'base\n');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  await a.commitConfiguration('replace', new TextEncoder().encode('new\n'));
  assert.equal(stateText(), 'new\n');
  await a.restoreConfiguration(snap);
  assert.equal(stateText(), 'base\n');
  await a.discardSnapshot(snap);
  assert.equal(existsSync(file), false);
});

test('a snapshot template that names {snapshot} writes the file itself', async () => {
  const a = make({ snapshot: `sh -c 'printf x > "$1"' sh {snapshot}`, restore: 'true', atomic_commit: 'no' });
  const snap = await a.snapshotConfiguration();
  assert.equal(readFileSync(join(work, snap.ref), 'utf8'), 'x');
  // '{snapshot}' inside single quotes is literal text: stdout is captured as usual.
  const quoted = await make({ snapshot: `sh -c 'echo "{snapshot}"'`, restore: 'true' }).snapshotConfiguration();
  assert.equal(readFileSync(join(work, quoted.ref), 'utf8'), '{snapshot}\n');
  const empty = await make({ snapshot: 'true', restore: 'true' }).snapshotConfiguration();
  assert.equal(empty.empty, true);
});

test('restore refuses foreign or missing snapshots with SZTP_ERR_ROLLBACK', async () => {
  const a = make(device());
  for (const ref of ['../state', 'snapshot-x/../../state', 'other']) {
    await assert.rejects(
      a.restoreConfiguration({ adapter: 'command', ref, empty: false }),
      code('SZTP_ERR_ROLLBACK'),
      ref,
    );
  }
  await assert.rejects(
    a.restoreConfiguration({ adapter: 'frr', ref: 'snapshot-1.cfg', empty: false }),
    code('SZTP_ERR_ROLLBACK'),
  );
  await assert.rejects(
    a.restoreConfiguration({ adapter: 'command', ref: 'snapshot-gone.cfg', empty: false }),
    code('SZTP_ERR_ROLLBACK'),
  );
});

test('commit hands the exact bytes over in a 0600 file that is removed afterwards, then runs save', async () => {
  const seen = join(dir, 'seen');
  const bytes = new Uint8Array([0x68, 0x69, 0x00, 0xff, 0x0a]);
  const a = make(
    device({
      commit_merge: `sh -c 'cp "$1" "$2"; stat -c %a "$1" > "$2.mode"; echo "$1" > "$2.path"' sh {file} ${seen}`,
      save: `sh -c 'echo saved > "$1"' sh ${join(dir, 'saved')}`,
    }),
  );
  await a.commitConfiguration('merge', bytes);
  assert.deepEqual(new Uint8Array(readFileSync(seen)), bytes);
  assert.equal(readFileSync(`${seen}.mode`, 'utf8').trim(), '600');
  assert.equal(existsSync(readFileSync(`${seen}.path`, 'utf8').trim()), false);
  assert.equal(readFileSync(join(dir, 'saved'), 'utf8'), 'saved\n');
  assert.deepEqual(readdirSync(work), [], 'no config or guard snapshot left behind');
});

test('a failing commit is undone from the guard snapshot and reported as SZTP_ERR_CONFIG_COMMIT with argv and stderr', async () => {
  const a = make(
    device({
      commit_merge: `sh -c 'cat "$1" >> "$2"; echo "line 2: % Unknown command" >&2; exit 3' sh {file} ${join(dir, 'state')}`,
    }),
  );
  await assert.rejects(a.commitConfiguration('merge', new TextEncoder().encode('half\n')), (e: unknown) => {
    assert.ok(isSztpError(e));
    assert.equal(e.code, 'SZTP_ERR_CONFIG_COMMIT');
    assert.equal(e.evidence?.exitCode, 3);
    assert.equal(e.evidence?.restored, true);
    assert.match(String(e.evidence?.stderr), /Unknown command/);
    assert.equal((e.evidence?.argv as string[])[0], 'sh');
    return true;
  });
  assert.equal(stateText(), 'base\n');
});

test('when the undo fails too the error is SZTP_ERR_ROLLBACK', async () => {
  const a = make(device({ commit_replace: 'false', restore: 'false' }));
  await assert.rejects(
    a.commitConfiguration('replace', new Uint8Array([1])),
    (e: unknown) => isSztpError(e) && e.code === 'SZTP_ERR_ROLLBACK' && e.evidence?.restored === false,
  );
});

test('commit_check rejects before anything is changed; a missing commit mode is SZTP_ERR_CONFIG_COMMIT', async () => {
  const a = make(device({ commit_check: `sh -c 'grep -q bad "$1" && exit 1; exit 0' sh {file}`, commit_replace: '' }));
  await assert.rejects(
    a.commitConfiguration('merge', new TextEncoder().encode('bad\n')),
    code('SZTP_ERR_CONFIG_COMMIT'),
  );
  assert.equal(stateText(), 'base\n');
  await a.commitConfiguration('merge', new TextEncoder().encode('good\n'));
  assert.equal(stateText(), 'base\ngood\n');
  await assert.rejects(
    a.commitConfiguration('replace', new TextEncoder().encode('x\n')),
    code('SZTP_ERR_CONFIG_COMMIT'),
  );
});

test('a timeout kills the whole process group', async () => {
  const pidFile = join(dir, 'bg.pid');
  const a = make({ reboot: `sh -c 'sleep 30 & echo $! > "$1"; wait' sh ${pidFile}`, reboot_timeout_seconds: '0.3' });
  const t0 = Date.now();
  await assert.rejects(
    a.reboot(),
    (e: unknown) => isSztpError(e) && e.code === 'SZTP_ERR_ADAPTER_COMMAND' && e.evidence?.timedOut === true,
  );
  assert.ok(Date.now() - t0 < 5000);
  const bg = Number(readFileSync(pidFile, 'utf8'));
  await new Promise((r) => setTimeout(r, 100));
  // Gone, or a zombie waiting for a reaper (PID 1 in a container may not reap).
  const state = existsSync(`/proc/${bg}/stat`) ? readFileSync(`/proc/${bg}/stat`, 'utf8').split(' ')[2] : 'gone';
  assert.ok(state === 'gone' || state === 'Z', `background child must be gone, state ${String(state)}`);
});

test('missing binaries, unsupported operations and failed image installs have their codes', async () => {
  await assert.rejects(make({ reboot: '/nonexistent/reboot-now' }).reboot(), code('SZTP_ERR_ADAPTER_COMMAND'));
  await assert.rejects(make({}).factoryReset(), code('SZTP_ERR_ADAPTER_UNSUPPORTED'));
  await assert.rejects(make({}).reboot(), code('SZTP_ERR_ADAPTER_UNSUPPORTED'));
  const out = join(dir, 'args');
  // received values reach the shell through the environment only (issue 11 item 4)
  const a = make({
    install_image: `sh -c 'printf "%s\\n" "$1" "$SZTP_OS_NAME" "$SZTP_OS_VERSION" "$SZTP_IMAGE_SHA256" > "$0"; exit 9' ${out} {image}`,
  });
  await assert.rejects(
    a.installBootImage({ path: '/img/a b.bin', osName: 'Linux', osVersion: '1; reboot', sha256: 'ab' }),
    code('SZTP_ERR_BOOT_IMAGE_INSTALL'),
  );
  assert.equal(readFileSync(out, 'utf8'), '/img/a b.bin\nLinux\n1; reboot\nab\n');
});

test('bad templates and timeouts are SZTP_ERR_CONFIG_VALUE at construction', () => {
  for (const s of [
    { commit_merge: "sh -c 'x" },
    { reboot: 'reboot {file}' },
    { reboot_timeout_seconds: 'soon' },
    { timeout_seconds: '0' },
    { atomic_commit: 'yes' },
    { config_suffix: '/x' },
  ]) {
    assert.throws(() => make(s), code('SZTP_ERR_CONFIG_VALUE'), JSON.stringify(s));
  }
});

test('a timeout key naming no operation is SZTP_ERR_CONFIG_UNKNOWN_KEY', () => {
  assert.throws(() => make({ commit_timeout_seconds: '5' }), code('SZTP_ERR_CONFIG_UNKNOWN_KEY'));
});

test('templates survive the real ztp.ini parser, including the documented whole-value quoting', async () => {
  const text = [
    '[Router]',
    'adapter: command',
    '[Command Adapter]',
    `snapshot: "sh -c 'printf a ; printf b'"   # comment after a quoted value`,
    `reboot: sh -c 'printf "%s|" "$@" > "$0"' ${join(dir, 'args')} {work_dir} x  ; inline comment`,
    '',
  ].join('\n');
  const config = parseConfigText(text, join(dir, 'ztp.ini'));
  assert.equal(config.router.adapter, 'command');
  const a = createCommandAdapter(ctx(config.router.settings));
  const snap = await a.snapshotConfiguration();
  assert.equal(readFileSync(join(work, snap.ref), 'utf8'), 'ab');
  await a.reboot();
  assert.equal(readFileSync(join(dir, 'args'), 'utf8'), `${work}|x|`);
});

test('runScript reports exit status, output, env and timeouts without throwing', async () => {
  const script = join(dir, 's.sh');
  writeFileSync(script, '#!/bin/sh\necho "out $1 $SZTP_X"\necho err >&2\nexit 4\n', { mode: 0o700 });
  const a = make({ run_script: '{script} {kind}' });
  const r = await a.runScript('post', script, { timeoutMs: 5000, env: { SZTP_X: 'y' } });
  assert.deepEqual(r, { exitCode: 4, signal: null, timedOut: false, stdout: 'out post y\n', stderr: 'err\n' });
  writeFileSync(script, '#!/bin/sh\nsleep 30\n', { mode: 0o700 });
  const slow = await a.runScript('pre', script, { timeoutMs: 200 });
  assert.equal(slow.timedOut, true);
  assert.equal(slow.exitCode, null);
  const missing = await make({}).runScript('pre', join(dir, 'nope'), { timeoutMs: 1000 });
  assert.equal(missing.exitCode, 127);
});

test('runScript: a process the script leaves in the background neither holds the step until the timeout nor stays active', async () => {
  const script = join(dir, 'bg.sh');
  const pidFile = join(dir, 'bg.pid');
  writeFileSync(script, `#!/bin/sh\nsleep 30 &\necho $! > ${pidFile}\necho started\nexit 0\n`, { mode: 0o700 });
  const a = make({ run_script: '{script}' });
  const started = Date.now();
  const r = await a.runScript('post', script, { timeoutMs: 5000 });
  const bg = Number(readFileSync(pidFile, 'utf8').trim());
  try {
    assert.deepEqual(
      { exitCode: r.exitCode, timedOut: r.timedOut, stdout: r.stdout },
      { exitCode: 0, timedOut: false, stdout: 'started\n' },
    );
    assert.ok(Date.now() - started < 4000, 'the result came when the script exited, not at the timeout');
    await new Promise((res) => setTimeout(res, 100));
    // Gone, or a zombie waiting for init to reap it (containers): not running any more.
    const stat = existsSync(`/proc/${bg}/stat`) ? readFileSync(`/proc/${bg}/stat`, 'utf8') : '';
    assert.ok(
      stat === '' || /^\d+ \(.*\) [ZX] /.test(stat),
      `the backgrounded process was killed with the group: ${stat}`,
    );
  } finally {
    try {
      process.kill(bg, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

test('captured output is bounded to its tail', async () => {
  const a = make({ reboot: `sh -c 'head -c 300000 /dev/zero | tr "\\0" a >&2; echo END >&2; exit 1'` });
  await assert.rejects(a.reboot(), (e: unknown) => {
    assert.ok(isSztpError(e));
    const stderr = String(e.evidence?.stderr);
    assert.ok(stderr.length <= 2000);
    assert.match(stderr, /END\n$/);
    return true;
  });
});

test('SSH host keys and trust anchors are parsed from command output', async () => {
  // An OpenSSH ed25519 public key line built from a real key (RFC 8709: string name, string key).
  const raw = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const sshString = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  writeFileSync(
    join(dir, 'k.pub'),
    `ssh-ed25519 ${Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(raw)]).toString('base64')} root@r1\n`,
  );
  writeFileSync(join(dir, 'bogus.pub'), 'ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIA== wrong\n');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(dir, 'ta.key'),
      '-out',
      join(dir, 'ta.pem'),
      '-subj',
      '/CN=ta',
      '-days',
      '2',
    ],
    { stdio: 'ignore' },
  );
  const a = make({
    ssh_host_keys: `cat ${join(dir, 'k.pub')} ${join(dir, 'bogus.pub')}`,
    trust_anchors: `openssl crl2pkcs7 -nocrl -certfile ${join(dir, 'ta.pem')}`,
  });
  const keys = await a.sshHostKeys();
  assert.equal(keys.length, 1);
  assert.equal(keys[0]!.algorithm, 'ssh-ed25519');
  assert.deepEqual(
    Buffer.from(keys[0]!.keyData).toString('base64'),
    readFileSync(join(dir, 'k.pub'), 'utf8').split(' ')[1],
  );
  const anchors = await a.trustAnchorCerts();
  assert.equal(anchors.length, 1);
  const der = execFileSync('openssl', ['crl2pkcs7', '-nocrl', '-certfile', join(dir, 'ta.pem'), '-outform', 'DER']);
  assert.deepEqual(Buffer.from(anchors[0]!), der);
  assert.deepEqual(await make({}).trustAnchorCerts(), []);
  assert.deepEqual(await make({ ssh_host_keys: '' }).sshHostKeys(), []);
});
