/**
 * The resolver settings of `/etc/resolv.conf` (resolv.conf(5)): `nameserver` lines give the
 * unicast DNS servers and `search` / `domain` the domains under which the DNS source asks for
 * `<serial>._sztp.<domain>.` and `_sztp._tcp.<domain>.` (RFC 8572 §4.2.1) when `[DNS] servers` and
 * `[DNS] domains` are not set. Pure: the caller reads the file.
 * @module
 */

export interface ResolvConf {
  readonly servers: readonly string[];
  readonly domains: readonly string[];
}

/** Parses resolv.conf text; the last `search`/`domain` line wins, as in the C library. */
export function parseResolvConf(text: string): ResolvConf {
  const servers: string[] = [];
  let domains: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [keyword, ...args] = line.split(/\s+/);
    if (keyword === 'nameserver' && args[0] !== undefined) servers.push(args[0]);
    else if (keyword === 'search') domains = args.filter((d) => d !== '.');
    else if (keyword === 'domain' && args[0] !== undefined) domains = [args[0]];
  }
  return { servers, domains: domains.map((d) => d.replace(/\.$/, '')).filter((d) => d !== '') };
}

/** `host`, `host:port`, `[v6]` or `[v6]:port` → host and port (default 53); undefined when malformed. */
export function parseServer(text: string): { host: string; port: number } | undefined {
  const t = text.trim();
  const bracket = /^\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?$/.exec(t);
  const plain6 = /^[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*$/.test(t) ? t : undefined;
  const hostPort = /^([^:\s]+)(?::(\d{1,5}))?$/.exec(t);
  const host = bracket?.[1] ?? plain6 ?? hostPort?.[1];
  const portText = bracket?.[2] ?? (plain6 === undefined ? hostPort?.[2] : undefined);
  const port = portText === undefined ? 53 : Number(portText);
  if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host, port };
}
