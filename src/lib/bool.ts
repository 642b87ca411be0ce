/**
 * The one boolean grammar of configuration text (ztp.ini keys and command-adapter settings):
 * True/yes/on/1 and False/no/off/0, any case, surrounding blanks ignored.
 * @module
 */

const TRUE = ['true', 'yes', 'on', '1'];
const FALSE = ['false', 'no', 'off', '0'];

/** How the grammar is described in messages and documentation. */
export const BOOLEAN_GRAMMAR = 'True/False, yes/no, on/off or 1/0';

/** The boolean `text` spells, or undefined when it is none of them. */
export function parseBoolean(text: string): boolean | undefined {
  const v = text.trim().toLowerCase();
  if (TRUE.includes(v)) return true;
  if (FALSE.includes(v)) return false;
  return undefined;
}
