/**
 * Untrusted text made inert (RFC 8572 §9 security considerations; the "untrusted text is data"
 * invariant): server messages (RESTCONF error-message, HTTP reason phrases and headers), DHCP
 * strings and certificate names are stored, logged and printed with every control character
 * escaped, so they can neither drive a terminal (C0/C1 controls, ESC/CSI/OSC sequences, BEL) nor
 * fake extra lines (CR, LF, NEL, LINE/PARAGRAPH SEPARATOR) nor reorder what is shown (Unicode
 * bidirectional overrides). Escapes are visible: `\n`, `\r`, `\t`, `\xNN`, `\u{NNNN}`; a backslash
 * is doubled so an escape can never be forged. Long texts are cut with a marker. Pure.
 * @module
 */

/** C0, DEL, C1, LINE/PARAGRAPH SEPARATOR, bidi embeddings/overrides/isolates, BOM / zero-width no-break. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\ufeff\\]/gu;

function escape(c: string): string {
  if (c === '\\') return '\\\\';
  if (c === '\n') return '\\n';
  if (c === '\r') return '\\r';
  if (c === '\t') return '\\t';
  const code = c.codePointAt(0) ?? 0;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
}

/** Default cap on one untrusted text, in characters (before escaping). */
export const INERT_MAX_CHARS = 1024;

/** `text` with every control and bidi character escaped, cut to `max` characters. */
export function inert(text: string, max = INERT_MAX_CHARS): string {
  const cut = text.length > max ? `${text.slice(0, max)}…(${text.length - max} more characters)` : text;
  // Lone surrogates cannot reach a terminal as controls but would break UTF-8 output: replace them.
  return cut.replace(UNSAFE, escape).replace(/[\ud800-\udfff]/g, (s, i: number, all: string) => {
    const next = all.charCodeAt(i + 1);
    const prev = all.charCodeAt(i - 1);
    const paired =
      (s.charCodeAt(0) < 0xdc00 && next >= 0xdc00 && next <= 0xdfff) ||
      (s.charCodeAt(0) >= 0xdc00 && prev >= 0xd800 && prev < 0xdc00);
    return paired ? s : '\ufffd';
  });
}
