// Preload for bench/footprint.ts: at exit, writes this process's resourceUsage() (CPU µs, maxRSS KiB)
// as JSON to the file named by RUSAGE_OUT. Loaded into the baseline `node -e 0` too.
import { writeFileSync } from 'node:fs';

const out = process.env.RUSAGE_OUT;
if (out !== undefined)
  process.on('exit', () => {
    writeFileSync(out, JSON.stringify(process.resourceUsage()));
  });
