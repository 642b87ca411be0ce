/**
 * The activation code (SZTPD's device password): `[Bootstrap] activation_code` or the first line
 * of `activation_code_file`, sent as HTTP Basic credentials `serial:code` (RFC 7617) in addition
 * to the IDevID client certificate. It is a secret, so it goes only to servers whose certificate
 * the agent authenticated (RFC 8572 §9.6, C-178; AT-30); `activation_code_provisional` lets a lab send it
 * over provisional connections, with a warning each time. The user name is the device serial
 * (the SN token for a Cisco SUDI, docs/trust.md). The code is never logged.
 * @module
 */
import { SztpError } from '../errors.ts';
import type { AgentConfig } from '../config/types.ts';

/** The configured activation code, or undefined; the file's first line, without its line end. */
export async function loadActivationCode(
  bootstrap: AgentConfig['bootstrap'],
  read: (path: string) => Promise<string>,
): Promise<string | undefined> {
  if (bootstrap.activationCode !== undefined) return bootstrap.activationCode;
  const file = bootstrap.activationCodeFile;
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = await read(file);
  } catch (err) {
    throw new SztpError('SZTP_ERR_CONFIG_FILE', `cannot read activation_code_file ${file}`, {
      cause: err,
      evidence: { file },
    });
  }
  const code = text.split(/\r?\n/, 1)[0] ?? '';
  if (code === '')
    throw new SztpError('SZTP_ERR_CONFIG_FILE', `activation_code_file ${file} is empty`, { evidence: { file } });
  return code;
}

/** `Basic base64(serial:code)`; a serial with a colon or control characters cannot be a Basic user-id (RFC 7617 §2). */
export function basicAuthorization(serial: string, code: string): string {
  // eslint-disable-next-line no-control-regex
  if (serial.includes(':') || /[\x00-\x1f\x7f]/.test(serial + code)) {
    throw new SztpError(
      'SZTP_ERR_DEVICE_IDENTITY',
      'the serial number or activation code cannot be sent as HTTP Basic credentials (a colon in the serial, or control characters)',
    );
  }
  return `Basic ${Buffer.from(`${serial}:${code}`, 'utf8').toString('base64')}`;
}
