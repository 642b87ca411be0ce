/**
 * DHCP numbers used across the DHCP room and the DHCP fetchers: the SZTP redirect option of each
 * family (RFC 8572 §8.1 DHCPv4 option 143, §8.2 DHCPv6 option 136) and the well-known UDP ports
 * (RFC 2131 §4.1: server 67, client 68; RFC 8415 §7.2: client 546, server 547).
 * @module
 */

/** The `bootstrap-server-list` option code of each address family. */
export const SZTP_REDIRECT_OPTION = { 4: 143, 6: 136 } as const;
export type SztpRedirectOption = (typeof SZTP_REDIRECT_OPTION)[4 | 6];

export const DHCP4_SERVER_PORT = 67;
export const DHCP4_CLIENT_PORT = 68;
export const DHCP6_CLIENT_PORT = 546;
export const DHCP6_SERVER_PORT = 547;
