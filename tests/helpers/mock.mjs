// The mock API as the JS suites use it (tests/js, e2e, faults, load, proxy): one per test file,
// the sandbox token it accepts, and the POSTs it logged. Imports nothing of the package, so a
// suite that loads the package its own way can use it too.
import { before, after } from 'node:test';
import { startMock, SEEDED, DEFAULT_TOKENS } from '../mock/server.mjs';

export { startMock, SEEDED };

/** The sandbox token: the one the mock accepts unless told otherwise. */
export const TOKEN = DEFAULT_TOKENS[0];

/**
 * One mock for the tests of a file: started before them with `options`, closed after them.
 * Returns a stand-in usable at the top of the file: its properties are the running mock's, and
 * `started` is a promise of it, for the file's own `before` hooks (node:test may run a file's
 * top-level hooks side by side, so they cannot count on this one having finished).
 */
export function mockPerFile(options) {
  let running = null;
  let begin;
  const started = new Promise((resolve) => { begin = resolve; }).then((mock) => (running = mock));
  before(() => { begin(startMock(options)); return started; });
  after(() => running?.close());
  return new Proxy({}, {
    get(_, key) {
      if (key === 'started') return started;
      if (key === 'then') return undefined; // not a thenable
      if (!running) throw new Error(`the mock is read (.${String(key)}) before it started: use it inside a test, or await mock.started`);
      const value = running[key];
      return typeof value === 'function' ? value.bind(running) : value;
    },
  });
}

/** The POST requests `mock` logged whose path ends with `suffix` ('/images': generations,
 * '/images/upscale': upscales). */
export const posts = (mock, suffix) => mock.requests().filter((r) => r.method === 'POST' && r.path.endsWith(suffix));
