/**
 * Prints the DHCP server configuration lines for RFC 8572 option 143 (DHCPv4) and option 136
 * (DHCPv6) carrying the given bootstrap-server URIs (`uint16 length + URI` each, §8.3), for
 * dnsmasq, Kea and ISC dhcpd, or the bare hex. URIs that are not `https://host[:port]` are
 * refused (the device would ignore them).
 *
 *   node --import tsx scripts/dhcp-option-hex.ts [--format all|hex|colon|dnsmasq|kea|isc] URI...
 * @module
 */
import { parseArgs } from 'node:util';
import { encodeUriList, parseRedirectUri } from '../src/dhcp/uri-list.ts';

const USAGE = 'usage: dhcp-option-hex.ts [--format all|hex|colon|dnsmasq|kea|isc] https://host[:port] ...';

/** Renders the option value for every supported server. */
export function renderOptionConfig(uris: readonly string[], format: string): string {
  const value = encodeUriList(uris);
  const hex = Buffer.from(value).toString('hex');
  const colon = hex.match(/../g)?.join(':') ?? '';
  const kea = (family: 4 | 6): string =>
    JSON.stringify(
      {
        'option-def': [
          {
            name: 'sztp-redirect',
            code: family === 4 ? 143 : 136,
            type: 'binary',
            space: family === 4 ? 'dhcp4' : 'dhcp6',
          },
        ],
        'option-data': [{ name: 'sztp-redirect', 'csv-format': false, data: hex }],
      },
      null,
      2,
    );
  const parts: Record<string, string> = {
    hex,
    colon,
    dnsmasq: `# dnsmasq (v4 values must be <= 255 octets; this one is ${value.length})\ndhcp-option=143,${colon}\ndhcp-option=option6:136,${colon}`,
    kea: `# Kea: inside "Dhcp4" (and the same with code 136 / space dhcp6 inside "Dhcp6")\n${kea(4)}\n${kea(6)}`,
    isc: `# ISC dhcpd.conf (v4) and dhcpd6.conf (v6)\noption sztp-redirect code 143 = string;\noption sztp-redirect ${colon};\n\noption dhcp6.sztp-redirect code 136 = string;\noption dhcp6.sztp-redirect ${colon};`,
  };
  if (format === 'all') return `${value.length} octets\n\n${parts['dnsmasq']}\n\n${parts['kea']}\n\n${parts['isc']}\n`;
  const one = parts[format];
  if (one === undefined) throw new Error(`unknown format ${format}\n${USAGE}`);
  return `${one}\n`;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.filename === process.argv[1];
if (invokedDirectly) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { format: { type: 'string', default: 'all' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help === true || positionals.length === 0) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(values.help === true ? 0 : 2);
  }
  const bad = positionals.flatMap((u) => {
    const r = parseRedirectUri(u);
    return 'reason' in r ? [`${u}: ${r.reason}`] : r.pathIgnored ? [`${u}: RFC 8572 §8.3 forbids a path`] : [];
  });
  if (bad.length > 0) {
    process.stderr.write(`${bad.join('\n')}\n`);
    process.exit(2);
  }
  process.stdout.write(renderOptionConfig(positionals, values.format));
}
