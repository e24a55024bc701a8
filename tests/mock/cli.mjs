// The command line of `node tests/mock/server.mjs ...` (README "CLI").

import fs from 'node:fs';
import { delayRange } from './rules.mjs';
import { DEFAULT_TOKENS } from './store.mjs';

/** Parse CLI arguments into startMock options (+ portFile / pidFile). */
export function parseArgs(argv) {
  const opts = { port: 0, host: '127.0.0.1', static: [], tokens: [...DEFAULT_TOKENS] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const [flag, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--port': opts.port = Number(value()); break;
      case '--host': opts.host = value(); break;
      case '--port-file': opts.portFile = value(); break;
      case '--pid-file': opts.pidFile = value(); break;
      case '--complete-after-ms': {
        const v = value();
        if (!delayRange(v)) throw new Error(`--complete-after-ms must be N or MIN-MAX, got ${v}`);
        opts.completeAfterMs = /^\d+$/.test(v) ? Number(v) : v;
        break;
      }
      case '--capacity': {
        const v = value();
        opts.capacity = v === 'none' ? null : Number(v);
        break;
      }
      case '--capacity-retry-after': opts.capacityRetryAfterSec = Number(value()); break;
      case '--seed': opts.seed = Number(value()); break;
      case '--token': opts.tokens.push(value()); break;
      case '--quiet': opts.quiet = true; break;
      case '--static': {
        // DIR[:PREFIX] — the prefix starts with '/', so a Windows "C:\dir" is not split.
        const v = value();
        const m = /^(.*?):(\/.*)$/.exec(v);
        opts.static.push(m && m[1] !== '' ? { dir: m[1], prefix: m[2] } : { dir: v, prefix: '/' });
        break;
      }
      default:
        throw new Error(`unknown argument: ${a}`);
    }
  }
  return opts;
}

/** Run the mock from the command line until SIGINT / SIGTERM. */
export async function main(startMock, argv = process.argv.slice(2)) {
  let opts;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    console.error(e.message);
    process.exit(2);
  }
  const mock = await startMock(opts);
  if (opts.portFile) fs.writeFileSync(opts.portFile, String(mock.port));
  if (opts.pidFile) fs.writeFileSync(opts.pidFile, String(process.pid));
  console.log(`mock Dreamina API listening on ${mock.baseUrl}`);
  const stop = () => mock.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
