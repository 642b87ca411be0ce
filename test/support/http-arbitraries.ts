/**
 * fast-check generators shared by the property tests of the agent's two HTTP/1.1 readers
 * (test/unit/bootstrap/http1.test.ts, test/unit/download/response-reader.test.ts): header fields
 * a well-formed server may send, other than the framing fields the tests set themselves.
 * @module
 */
import fc from 'fast-check';

export const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/);
export const fieldValue = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,30}[\x21-\x7e])?$/);

/** Up to `maxLength` header fields, never Content-Length or Transfer-Encoding. */
export const plainHeaders = (maxLength: number): fc.Arbitrary<[string, string][]> =>
  fc.array(
    fc.tuple(token, fieldValue).filter(([n]) => !/^(content-length|transfer-encoding)$/i.test(n)),
    { maxLength },
  );
