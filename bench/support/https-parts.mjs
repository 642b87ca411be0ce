// For bench/download.ts (BENCH_PARTS=1): node:https, the agent's download transport before issue 15's
// last round (now node:tls with its own response reader), taken apart as a whole process, for reference.
// `node https-parts.mjs PART URL FILE` fetches URL with node:https the way src/download did
// (agent: false, 'data' events, pause/drain) and does only PART with the bytes:
//   receive  nothing (TLS + HTTP in node);   hash  + SHA-256;   write  + a file write stream;
//   all      + SHA-256 + write stream + fsync at the end (what the sink did before write-behind).
import { createHash } from 'node:crypto';
import { closeSync, createWriteStream, fsyncSync, openSync } from 'node:fs';
import { get } from 'node:https';

const [part, url, file] = process.argv.slice(2);
if (!['receive', 'hash', 'write', 'all'].includes(part ?? '')) throw new Error(`unknown part ${part}`);
get(url, { rejectUnauthorized: false, agent: false }, (res) => {
  const hash = part === 'hash' || part === 'all' ? createHash('sha256') : undefined;
  const out = part === 'write' || part === 'all' ? createWriteStream(file, { highWaterMark: 256 * 1024 }) : undefined;
  res.on('data', (chunk) => {
    hash?.update(chunk);
    if (out !== undefined && !out.write(chunk)) {
      res.pause();
      out.once('drain', () => res.resume());
    }
  });
  res.on('end', () => {
    hash?.digest();
    if (out === undefined) return;
    out.end(() => {
      if (part !== 'all') return;
      const fd = openSync(file, 'r');
      fsyncSync(fd);
      closeSync(fd);
    });
  });
}).on('error', (err) => {
  throw err;
});
