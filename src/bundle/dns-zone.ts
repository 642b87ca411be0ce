/**
 * `bundle --dns-zone <domain>`: the device-specific TXT record of RFC 8572 §4.2.2 for a built
 * bundle, as an operator writes it: one zone-file line (RFC 1035 §5.1, every octet outside
 * printable ASCII as `\DDD`) and the same record as a dnsmasq `dns-rr=` line (hex RDATA, because
 * dnsmasq's `txt-record=` cannot hold NUL octets). The artifacts are split over 255-octet
 * character-strings as src/dns/txt.ts reads them. Pure.
 * @module
 */
import { encodeSztpTxt, type SztpTxtArtifacts } from '../dns/txt.ts';

/** One character-string in zone-file syntax: quoted, `"` and `\` escaped, other non-printables `\DDD`. */
function zoneString(s: Uint8Array): string {
  let out = '"';
  for (const b of s) {
    if (b === 0x22 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\${String(b).padStart(3, '0')}`;
  }
  return `${out}"`;
}

/** The zone-file and dnsmasq lines of the TXT record `<serial>._sztp.<domain>.` carrying `artifacts`. */
export function dnsZoneLines(serial: string, domain: string, artifacts: SztpTxtArtifacts, ttl = 3600): string {
  const strings = encodeSztpTxt(artifacts);
  const owner = `${serial}._sztp.${domain.replace(/\.$/, '')}`;
  const rdata = Buffer.concat(strings.map((s) => Buffer.concat([Buffer.from([s.length]), s])));
  return [
    `; RFC 8572 §4.2.2 device-specific record for ${owner} (${rdata.length} octets of TXT data; DNS over TCP when over 512)`,
    `${owner}. ${ttl} IN TXT ( ${strings.map(zoneString).join('\n    ')} )`,
    '; dnsmasq:',
    `dns-rr=${owner},16,${rdata.toString('hex')}`,
    '',
  ].join('\n');
}
