/**
 * Test lab for the DHCP system tests: two network namespaces (server, client) joined by a veth
 * pair, names unique per run (pid + counter), documentation addresses only (192.0.2.0/24,
 * 2001:db8:1::/64). Starts dnsmasq / Kea in the server namespace with explicit config files in
 * a temp dir and runs scripts in the client namespace. `close()` kills every process it started
 * by its recorded PID and deletes both namespaces (which removes the veth pair) and the temp dir.
 * `startTestBootstrapServer` runs the mutual-TLS test bootstrap server in the server namespace.
 * @module
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '../support/temp-dir.ts';

let counter = 0;
/** Repository root: children run there so `--import tsx` resolves. */
const REPO = join(import.meta.dirname, '..', '..');

export const SERVER_V4 = '192.0.2.1';
export const SERVER_V6 = '2001:db8:1::1';

export interface Lab {
  readonly srv: string;
  readonly cli: string;
  readonly srvIf: string;
  readonly cliIf: string;
  readonly dir: string;
  /** Runs a command in a namespace (synchronously), returning stdout. */
  ip(ns: string, ...argv: string[]): string;
  /** Starts a long-running process in a namespace; killed on close(). */
  spawnIn(ns: string, argv: readonly string[], env?: NodeJS.ProcessEnv): ChildProcess & { output: () => string };
  /** Runs a process in a namespace to completion. */
  run(
    ns: string,
    argv: readonly string[],
    timeoutMs?: number,
    env?: NodeJS.ProcessEnv,
  ): Promise<{ code: number | null; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

export function haveCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function createLab(opts: { ipv6?: boolean; clientV4?: string } = {}): Lab {
  // pid, a separator and a counter: unique across the test processes running at once (≤ 15 characters as an interface name).
  const id = `${process.pid}x${counter++}`;
  const srv = `sztps${id}`;
  const cli = `sztpc${id}`;
  const srvIf = `vs${id}`;
  const cliIf = `vc${id}`;
  const dir = makeTempDir('dhcp');
  const procs: ChildProcess[] = [];
  const sh = (argv: string[]): string =>
    execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const lab: Lab = {
    srv,
    cli,
    srvIf,
    cliIf,
    dir,
    ip: (ns, ...argv) => sh(['ip', '-n', ns, ...argv]),
    spawnIn(ns, argv, env) {
      const child = spawn('ip', ['netns', 'exec', ns, ...argv], {
        cwd: REPO,
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      procs.push(child);
      return Object.assign(child, { output: () => out });
    },
    run(ns, argv, timeoutMs = 60_000, env) {
      return new Promise((resolve) => {
        const child = spawn('ip', ['netns', 'exec', ns, ...argv], {
          cwd: REPO,
          env: { ...process.env, ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        procs.push(child);
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        child.on('close', (code) => {
          clearTimeout(timer);
          resolve({ code, stdout, stderr });
        });
      });
    },
    async close() {
      for (const p of procs) {
        if (p.exitCode === null && p.signalCode === null && p.pid !== undefined) {
          const exited = new Promise((r) => p.once('exit', r));
          try {
            process.kill(p.pid, 'SIGTERM');
          } catch {
            continue;
          }
          await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
          if (p.exitCode === null && p.signalCode === null) {
            try {
              process.kill(p.pid, 'SIGKILL');
            } catch {
              // already gone
            }
          }
        }
      }
      for (const ns of [srv, cli]) {
        try {
          sh(['ip', 'netns', 'del', ns]);
        } catch {
          // not created
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    sh(['ip', 'netns', 'add', srv]);
    sh(['ip', 'netns', 'add', cli]);
    sh(['ip', 'link', 'add', srvIf, 'netns', srv, 'type', 'veth', 'peer', 'name', cliIf, 'netns', cli]);
    sh(['ip', 'netns', 'exec', cli, 'sysctl', '-qw', `net.ipv6.conf.${cliIf}.accept_dad=0`]);
    sh(['ip', 'netns', 'exec', srv, 'sysctl', '-qw', `net.ipv6.conf.${srvIf}.accept_dad=0`]);
    lab.ip(srv, 'addr', 'add', `${SERVER_V4}/24`, 'dev', srvIf);
    lab.ip(srv, 'addr', 'add', `${SERVER_V6}/64`, 'dev', srvIf, 'nodad');
    if (opts.clientV4 !== undefined) lab.ip(cli, 'addr', 'add', opts.clientV4, 'dev', cliIf);
    for (const [ns, ifn] of [
      [srv, srvIf],
      [cli, cliIf],
    ] as const) {
      lab.ip(ns, 'link', 'set', 'lo', 'up');
      lab.ip(ns, 'link', 'set', ifn, 'up');
    }
    // The kernel reports carrier on a new veth pair a moment later (linkwatch), and until then an
    // interface is left out of getifaddrs-based lists such as os.networkInterfaces(): wait for it.
    const deadline = Date.now() + 5000;
    const carrier = (ns: string, ifn: string): boolean => /\bLOWER_UP\b/.test(lab.ip(ns, 'link', 'show', 'dev', ifn));
    while (!(carrier(srv, srvIf) && carrier(cli, cliIf))) {
      if (Date.now() > deadline) throw new Error(`no carrier on ${srvIf}/${cliIf} after 5 s`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  } catch (err) {
    void lab.close();
    throw err;
  }
  return lab;
}

/** Colon hex for dnsmasq `dhcp-option=143,...`. */
export function colonHex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}

export interface DnsmasqOptions {
  readonly opt143?: Uint8Array;
  readonly opt136?: Uint8Array;
  readonly extra?: readonly string[];
}

/** Starts dnsmasq (DHCPv4 range .100–.150, DHCPv6 range ::100–::1ff with RA) in the server namespace. */
export async function startDnsmasq(lab: Lab, o: DnsmasqOptions): Promise<ChildProcess & { output: () => string }> {
  const conf = [
    `interface=${lab.srvIf}`,
    'bind-interfaces',
    'port=0',
    'log-dhcp',
    'log-facility=-',
    `dhcp-leasefile=${join(lab.dir, 'dnsmasq.leases')}`,
    'dhcp-range=192.0.2.100,192.0.2.150,255.255.255.0,1h',
    'dhcp-range=2001:db8:1::100,2001:db8:1::1ff,64,1h',
    'enable-ra',
    'no-ping',
    ...(o.opt143 === undefined ? [] : [`dhcp-option=143,${colonHex(o.opt143)}`]),
    ...(o.opt136 === undefined ? [] : [`dhcp-option=option6:136,${colonHex(o.opt136)}`]),
    ...(o.extra ?? []),
  ];
  const file = join(lab.dir, 'dnsmasq.conf');
  writeFileSync(file, `${conf.join('\n')}\n`);
  const child = lab.spawnIn(lab.srv, ['dnsmasq', '-k', '-C', file, `--pid-file=${join(lab.dir, 'dnsmasq.pid')}`]);
  await waitFor(() => child.output().includes('DHCP, IP range') || child.exitCode !== null, 5000);
  if (child.exitCode !== null) throw new Error(`dnsmasq exited: ${child.output()}`);
  return child;
}

/** Starts Kea (v4 or v6) with `sztp-redirect` defined, in the server namespace. */
export async function startKea(
  lab: Lab,
  family: 4 | 6,
  value: Uint8Array,
): Promise<ChildProcess & { output: () => string }> {
  const hex = Buffer.from(value).toString('hex');
  const space = family === 4 ? 'dhcp4' : 'dhcp6';
  const common = {
    'interfaces-config': { interfaces: [family === 4 ? lab.srvIf : `${lab.srvIf}`] },
    'lease-database': { type: 'memfile', persist: false },
    'option-def': [{ name: 'sztp-redirect', code: family === 4 ? 143 : 136, type: 'binary', space }],
    'option-data': [{ name: 'sztp-redirect', 'csv-format': false, data: hex, 'always-send': false }],
    loggers: [
      { name: family === 4 ? 'kea-dhcp4' : 'kea-dhcp6', severity: 'INFO', output_options: [{ output: 'stdout' }] },
    ],
  };
  const conf =
    family === 4
      ? {
          Dhcp4: {
            ...common,
            subnet4: [
              { id: 1, subnet: '192.0.2.0/24', pools: [{ pool: '192.0.2.100 - 192.0.2.150' }], interface: lab.srvIf },
            ],
          },
        }
      : {
          Dhcp6: {
            ...common,
            'server-id': { type: 'LLT', persist: false },
            subnet6: [
              {
                id: 1,
                subnet: '2001:db8:1::/64',
                pools: [{ pool: '2001:db8:1::100 - 2001:db8:1::1ff' }],
                interface: lab.srvIf,
              },
            ],
          },
        };
  const file = join(lab.dir, `kea${family}.json`);
  writeFileSync(file, JSON.stringify(conf, null, 2));
  const bin = family === 4 ? 'kea-dhcp4' : 'kea-dhcp6';
  const child = lab.spawnIn(lab.srv, [bin, '-c', file], {
    KEA_PIDFILE_DIR: lab.dir,
    KEA_LOCKFILE_DIR: lab.dir,
    KEA_LOG_CHECK_VERBOSE: '0',
  });
  await waitFor(
    () => /DHCP[46]_STARTED|server version .* started/.test(child.output()) || child.exitCode !== null,
    10_000,
  );
  if (child.exitCode !== null) throw new Error(`${bin} exited: ${child.output()}`);
  return child;
}

/** Waits until the client interface has its IPv6 link-local address (some clients need it at start). */
export async function waitLinkLocal(lab: Lab, timeoutMs = 5000): Promise<void> {
  const ok = await waitFor(
    () => lab.ip(lab.cli, '-6', 'addr', 'show', 'dev', lab.cliIf, 'scope', 'link').includes('fe80'),
    timeoutMs,
  );
  if (!ok) throw new Error(`no link-local address on ${lab.cliIf}`);
}

export async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

/**
 * The mutual-TLS test bootstrap server (test/support/bootstrap-server-cli.ts) in the server
 * namespace on port 8443, serving the reply files of `<lab dir>/replies`; resolves once it listens.
 */
export async function startTestBootstrapServer(
  lab: Lab,
  tls: { readonly cert: string; readonly key: string },
  clientCa: string,
): Promise<ChildProcess & { output: () => string }> {
  const server = lab.spawnIn(lab.srv, [
    process.execPath,
    '--import',
    'tsx',
    join(REPO, 'test', 'support', 'bootstrap-server-cli.ts'),
    '--host',
    '::',
    '--port',
    '8443',
    '--dir',
    join(lab.dir, 'replies'),
    '--cert',
    tls.cert,
    '--key',
    tls.key,
    '--client-ca',
    clientCa,
    '--log',
  ]);
  if (
    !(await waitFor(() => server.output().includes('listening') || server.exitCode !== null, 20_000)) ||
    server.exitCode !== null
  ) {
    throw new Error(`the test bootstrap server did not start: ${server.output()}`);
  }
  return server;
}
