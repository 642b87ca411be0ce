// Preload for test/integration/lazy-loading.test.ts: records the URL of every file module the
// process resolves (one per line) in the file named by RECORD_LOADS, through a module.register()
// resolve hook, so a test can tell which parts of the agent and which dependencies a command loaded.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (result.url.startsWith('file:') && process.env.RECORD_LOADS) appendFileSync(process.env.RECORD_LOADS, result.url + '\\n');
  return result;
}
`),
);
