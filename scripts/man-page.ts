/**
 * The sztp-agent(8) man page, generated from the CLI's own `--help` texts (program and each
 * command) so that it never disagrees with the binary, plus the fixed sections a man page needs
 * (files, exit status, signals). Used by scripts/package-deb.ts.
 * @module
 */

/**
 * Escapes text for roff: backslashes, hyphens, characters outside ASCII (as \[uXXXX]), and a
 * leading dot or apostrophe that would start a request.
 */
export function roffEscape(line: string): string {
  const escaped = line
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/[^\t -~]/gu, (c) => `\\[u${(c.codePointAt(0) ?? 0x3f).toString(16).toUpperCase().padStart(4, '0')}]`);
  return /^[.']/.test(escaped) ? `\\&${escaped}` : escaped;
}

function verbatim(text: string): string[] {
  return ['.PP', '.nf', ...text.trimEnd().split('\n').map(roffEscape), '.fi'];
}

/** Renders the page; `helps[0]` is the program's help, the others one per command. */
export function renderManPage(version: string, helps: readonly { name: string; text: string }[]): string {
  const [program, ...commands] = helps;
  const lines = [
    `.TH SZTP\\-AGENT 8 "" "sztp-agent ${roffEscape(version)}" "System Administration"`,
    '.SH NAME',
    'sztp\\-agent \\- Secure Zero Touch Provisioning agent (RFC 8572)',
    '.SH SYNOPSIS',
    '.B sztp\\-agent',
    '[\\fB\\-\\-config\\fR \\fIFILE\\fR] \\fICOMMAND\\fR [\\fIOPTIONS\\fR]',
    '.SH DESCRIPTION',
    'At boot, reads \\fI/etc/sztp\\-agent/ztp.ini\\fR, tries its sources of bootstrapping data in',
    'priority order (USB stick, DHCPv4 option 143 and DHCPv6 option 136 redirects, well\\-known',
    'bootstrap servers over RESTCONF/HTTPS), validates ownership voucher, owner certificate and',
    'conveyed information, and applies the onboarding information through a router adapter.',
    ...(program === undefined ? [] : verbatim(program.text)),
    '.SH COMMANDS',
    ...commands.flatMap((c) => [`.SS ${roffEscape(c.name)}`, ...verbatim(c.text)]),
    '.SH EXIT STATUS',
    '.TP',
    '.B 0',
    'bootstrap complete, ZTP disabled or not started, or stopped by a signal',
    '.TP',
    '.B 1',
    'no source succeeded (\\fBrun \\-\\-once\\fR or retry_forever False); \\fBverify\\fR: invalid',
    '.TP',
    '.B 2',
    'usage or configuration error',
    '.TP',
    '.B 10',
    'a boot image was installed and the device reboots; the next \\fBrun\\fR resumes',
    '.SH SIGNALS',
    'SIGTERM and SIGINT stop \\fBrun\\fR between steps with the state saved; SIGHUP reloads ztp.ini for the next pass.',
    '.SH FILES',
    '.TP',
    '.I /etc/sztp\\-agent/ztp.ini',
    'configuration (the package installs it with [Startup] start: False)',
    '.TP',
    '.I /var/lib/sztp\\-agent',
    'state (state.json, the onboarding journal, adapter work files)',
    '.TP',
    '.I /usr/share/doc/sztp\\-agent',
    'documentation, the annotated ztp.ini.example',
    '.SH SEE ALSO',
    'RFC 8572, RFC 8366; \\fI/usr/share/doc/sztp\\-agent/README.md\\fR',
    '',
  ];
  return lines.join('\n');
}
